// Map operations on descriptors: lookup/update/delete, batch update/delete with a
// per-key fallback where the kernel refuses batches (LPM tries), full dumps, element
// counts, map info, pins.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "common.h"

namespace lumen {

static bpf_map_info InfoOf(Napi::Env env, int fd) {
  bpf_map_info info;
  memset(&info, 0, sizeof info);
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len)) ThrowErrno(env, "get map info", errno);
  return info;
}

static bool IsPercpu(uint32_t type) {
  return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

// Bytes user space exchanges per value: per-CPU maps carry one 8-byte-aligned copy per
// possible CPU.
static size_t UserValueSize(const bpf_map_info& info) {
  if (!IsPercpu(info.type)) return info.value_size;
  return ((info.value_size + 7) & ~7u) * static_cast<size_t>(libbpf_num_possible_cpus());
}

static bool BatchUnsupported(int err) {
  return err == EINVAL || err == ENOTSUP || err == 524 /* ENOTSUPP */ || err == EOPNOTSUPP;
}

// mapInfo(fd) -> { type, id, name, keySize, valueSize, userValueSize, maxEntries, flags }
static Napi::Value MapInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bpf_map_info mi = InfoOf(env, ArgFd(info, 0, "fd"));
  Napi::Object o = Napi::Object::New(env);
  o.Set("type", mi.type);
  o.Set("id", mi.id);
  o.Set("name", mi.name);
  o.Set("keySize", mi.key_size);
  o.Set("valueSize", mi.value_size);
  o.Set("userValueSize", static_cast<double>(UserValueSize(mi)));
  o.Set("maxEntries", mi.max_entries);
  o.Set("flags", mi.map_flags);
  return o;
}

static void CheckKey(Napi::Env env, const bpf_map_info& mi, size_t len) {
  if (len != mi.key_size)
    ThrowType(env, std::string("key for map ") + mi.name + " must be " +
                       std::to_string(mi.key_size) + " bytes, got " + std::to_string(len));
}

static void CheckValue(Napi::Env env, const bpf_map_info& mi, size_t len) {
  size_t want = UserValueSize(mi);
  if (len != want)
    ThrowType(env, std::string("value for map ") + mi.name + " must be " + std::to_string(want) +
                       " bytes, got " + std::to_string(len));
}

// mapLookup(fd, key) -> Buffer | null
static Napi::Value MapLookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  auto key = ArgBuffer(info, 1, "key");
  bpf_map_info mi = InfoOf(env, fd);
  CheckKey(env, mi, key.Length());
  auto out = Napi::Buffer<uint8_t>::New(env, UserValueSize(mi));
  if (bpf_map_lookup_elem(fd, key.Data(), out.Data())) {
    if (errno == ENOENT) return env.Null();
    ThrowErrno(env, std::string("lookup in map ") + mi.name, errno);
  }
  return out;
}

// mapUpdate(fd, key, value, flags)
static Napi::Value MapUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  auto key = ArgBuffer(info, 1, "key");
  auto val = ArgBuffer(info, 2, "value");
  uint32_t flags = info.Length() > 3 ? ArgU32(info, 3, "flags") : static_cast<uint32_t>(BPF_ANY);
  bpf_map_info mi = InfoOf(env, fd);
  CheckKey(env, mi, key.Length());
  CheckValue(env, mi, val.Length());
  if (bpf_map_update_elem(fd, key.Data(), val.Data(), flags))
    ThrowErrno(env, std::string("update map ") + mi.name, errno);
  return env.Undefined();
}

// mapDelete(fd, key) -> boolean (false: there was no such key)
static Napi::Value MapDelete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  auto key = ArgBuffer(info, 1, "key");
  bpf_map_info mi = InfoOf(env, fd);
  CheckKey(env, mi, key.Length());
  if (bpf_map_delete_elem(fd, key.Data())) {
    if (errno == ENOENT) return Napi::Boolean::New(env, false);
    ThrowErrno(env, std::string("delete from map ") + mi.name, errno);
  }
  return Napi::Boolean::New(env, true);
}

// mapUpdateBatch(fd, keys, values, flags) -> { count, batched }
// keys/values: concatenated fixed-size records.
static Napi::Value MapUpdateBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  auto keys = ArgBuffer(info, 1, "keys");
  auto vals = ArgBuffer(info, 2, "values");
  uint32_t flags = info.Length() > 3 ? ArgU32(info, 3, "flags") : static_cast<uint32_t>(BPF_ANY);
  bpf_map_info mi = InfoOf(env, fd);
  size_t vsz = UserValueSize(mi);
  if (keys.Length() % mi.key_size || vals.Length() % vsz ||
      keys.Length() / mi.key_size != vals.Length() / vsz)
    ThrowType(env, std::string("batch for map ") + mi.name + ": keys (" +
                       std::to_string(keys.Length()) + " bytes) and values (" +
                       std::to_string(vals.Length()) + " bytes) are not whole records of " +
                       std::to_string(mi.key_size) + "/" + std::to_string(vsz) + " bytes");
  uint32_t n = keys.Length() / mi.key_size;
  Napi::Object res = Napi::Object::New(env);
  if (n == 0) {
    res.Set("count", 0);
    res.Set("batched", true);
    return res;
  }
  LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = flags);
  uint32_t count = n;
  if (bpf_map_update_batch(fd, keys.Data(), vals.Data(), &count, &opts) == 0) {
    res.Set("count", count);
    res.Set("batched", true);
    return res;
  }
  int err = errno;
  if (!BatchUnsupported(err) || count != 0)
    ThrowErrno(env, std::string("batch update of map ") + mi.name + " failed after " +
                        std::to_string(count) + " of " + std::to_string(n) + " records",
               err);
  for (uint32_t i = 0; i < n; i++) {
    if (bpf_map_update_elem(fd, keys.Data() + i * mi.key_size, vals.Data() + i * vsz, flags))
      ThrowErrno(env, std::string("update map ") + mi.name + " (record " + std::to_string(i) +
                          " of " + std::to_string(n) + ")",
                 errno);
  }
  res.Set("count", n);
  res.Set("batched", false);
  return res;
}

// mapDeleteBatch(fd, keys) -> { count, batched }: keys that did not exist are skipped.
static Napi::Value MapDeleteBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  auto keys = ArgBuffer(info, 1, "keys");
  bpf_map_info mi = InfoOf(env, fd);
  if (keys.Length() % mi.key_size)
    ThrowType(env, std::string("batch delete for map ") + mi.name + ": keys are not whole " +
                       std::to_string(mi.key_size) + "-byte records");
  uint32_t n = keys.Length() / mi.key_size;
  Napi::Object res = Napi::Object::New(env);
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  uint32_t count = n;
  // The kernel's batch delete stops at the first missing key (ENOENT), so a batch is
  // only attempted as a whole; any failure falls back to per-key deletes.
  if (n > 0 && bpf_map_delete_batch(fd, keys.Data(), &count, &opts) == 0) {
    res.Set("count", count);
    res.Set("batched", true);
    return res;
  }
  int err = n > 0 ? errno : 0;
  if (n > 0 && !BatchUnsupported(err) && err != ENOENT)
    ThrowErrno(env, std::string("batch delete in map ") + mi.name, err);
  uint32_t deleted = (err == ENOENT) ? count : 0;
  for (uint32_t i = (err == ENOENT ? count : 0); i < n; i++) {
    if (bpf_map_delete_elem(fd, keys.Data() + i * mi.key_size) == 0) {
      deleted++;
    } else if (errno != ENOENT) {
      ThrowErrno(env, std::string("delete from map ") + mi.name, errno);
    }
  }
  res.Set("count", deleted);
  res.Set("batched", false);
  return res;
}

static bool IsHash(const bpf_map_info& mi) {
  return mi.type == BPF_MAP_TYPE_HASH || mi.type == BPF_MAP_TYPE_LRU_HASH ||
         mi.type == BPF_MAP_TYPE_PERCPU_HASH || mi.type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

// Walks a hash map with batch lookups of `chunk` entries: fn(keys, values, n) per batch,
// returning false to stop early. Returns false, having walked nothing, when the kernel
// has no batch ops for the map (the caller walks key by key); throws on other errors.
template <typename F>
static bool LookupBatches(Napi::Env env, int fd, const bpf_map_info& mi, uint32_t chunk, const char* what, F fn) {
  std::vector<uint8_t> token(mi.key_size), kbuf(size_t(chunk) * mi.key_size),
      vbuf(size_t(chunk) * UserValueSize(mi));
  bool first = true;
  for (;;) {
    uint32_t n = chunk;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    int r = bpf_map_lookup_batch(fd, first ? nullptr : token.data(), token.data(), kbuf.data(),
                                 vbuf.data(), &n, &opts);
    int err = r ? errno : 0;
    if (r && err != ENOENT) {
      if (first && BatchUnsupported(err)) return false;
      ThrowErrno(env, std::string(what) + " map " + mi.name, err);
    }
    first = false;
    if (!fn(kbuf.data(), vbuf.data(), n) || err == ENOENT) return true;
  }
}

// mapDump(fd, limit?) -> { keys: Buffer, values: Buffer, count }
static Napi::Value MapDump(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  uint32_t limit = info.Length() > 1 && !info[1].IsUndefined() ? ArgU32(info, 1, "limit") : UINT32_MAX;
  bpf_map_info mi = InfoOf(env, fd);
  size_t ksz = mi.key_size, vsz = UserValueSize(mi);
  std::vector<uint8_t> keys, vals;
  uint32_t count = 0;

  bool batched = IsHash(mi) && LookupBatches(env, fd, mi, 4096, "dump", [&](const uint8_t* k, const uint8_t* v, uint32_t n) {
    if (n > limit - count) n = limit - count;
    keys.insert(keys.end(), k, k + n * ksz);
    vals.insert(vals.end(), v, v + n * vsz);
    count += n;
    return count < limit;
  });
  if (!batched) {
    std::vector<uint8_t> cur(ksz), next(ksz), val(vsz);
    bool has = false;
    while (count < limit) {
      if (bpf_map_get_next_key(fd, has ? cur.data() : nullptr, next.data())) {
        if (errno == ENOENT) break;
        ThrowErrno(env, std::string("iterate map ") + mi.name, errno);
      }
      has = true;
      cur = next;
      if (bpf_map_lookup_elem(fd, cur.data(), val.data())) {
        if (errno == ENOENT) continue;  // deleted while we walked: skip
        ThrowErrno(env, std::string("lookup in map ") + mi.name, errno);
      }
      keys.insert(keys.end(), cur.begin(), cur.end());
      vals.insert(vals.end(), val.begin(), val.end());
      count++;
    }
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("keys", Napi::Buffer<uint8_t>::Copy(env, keys.data(), keys.size()));
  o.Set("values", Napi::Buffer<uint8_t>::Copy(env, vals.data(), vals.size()));
  o.Set("count", count);
  return o;
}

// mapCount(fd) -> number of keys (for "map pressure"). Hash maps are walked with batch
// lookups (one syscall per 8192 entries); other maps, or kernels without batch ops, key by
// key. O(n) either way.
static Napi::Value MapCount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  bpf_map_info mi = InfoOf(env, fd);
  if (mi.type == BPF_MAP_TYPE_ARRAY || mi.type == BPF_MAP_TYPE_PERCPU_ARRAY)
    return Napi::Number::New(env, mi.max_entries);
  double total = 0;
  if (IsHash(mi) && LookupBatches(env, fd, mi, 8192, "count", [&](const uint8_t*, const uint8_t*, uint32_t n) {
        total += n;
        return true;
      }))
    return Napi::Number::New(env, total);
  std::vector<uint8_t> cur(mi.key_size), next(mi.key_size);
  bool has = false;
  double n = 0;
  for (;;) {
    if (bpf_map_get_next_key(fd, has ? cur.data() : nullptr, next.data())) {
      if (errno == ENOENT) break;
      ThrowErrno(env, std::string("count map ") + mi.name, errno);
    }
    has = true;
    cur.swap(next);
    n++;
  }
  return Napi::Number::New(env, n);
}

// objGet(path) -> fd of a pinned map/program/link
static Napi::Value ObjGet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = ArgString(info, 0, "path");
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) ThrowErrno(env, "open pinned object " + path, errno);
  return Napi::Number::New(env, fd);
}

static Napi::Value ObjPin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  std::string path = ArgString(info, 1, "path");
  if (bpf_obj_pin(fd, path.c_str())) ThrowErrno(env, "pin at " + path, errno);
  return env.Undefined();
}

static Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0, "fd");
  close(fd);
  return info.Env().Undefined();
}

static Napi::Value PossibleCpus(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), libbpf_num_possible_cpus());
}

void InitMaps(Napi::Env env, Napi::Object exports) {
  exports.Set("mapInfo", Napi::Function::New(env, MapInfo));
  exports.Set("mapLookup", Napi::Function::New(env, MapLookup));
  exports.Set("mapUpdate", Napi::Function::New(env, MapUpdate));
  exports.Set("mapDelete", Napi::Function::New(env, MapDelete));
  exports.Set("mapUpdateBatch", Napi::Function::New(env, MapUpdateBatch));
  exports.Set("mapDeleteBatch", Napi::Function::New(env, MapDeleteBatch));
  exports.Set("mapDump", Napi::Function::New(env, MapDump));
  exports.Set("mapCount", Napi::Function::New(env, MapCount));
  exports.Set("objGet", Napi::Function::New(env, ObjGet));
  exports.Set("objPin", Napi::Function::New(env, ObjPin));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd));
  exports.Set("possibleCpus", Napi::Function::New(env, PossibleCpus));
}

}  // namespace lumen
