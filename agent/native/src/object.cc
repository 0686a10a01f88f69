// BpfObject: one BPF ELF object through its life: open (with the pin directory), set
// map sizes and read-only config, load, hand out program and map descriptors, close.
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cstring>

#include "common.h"

namespace lumen {

class BpfObject : public Napi::ObjectWrap<BpfObject> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "BpfObject",
                       {
                           InstanceMethod("maps", &BpfObject::Maps),
                           InstanceMethod("programs", &BpfObject::Programs),
                           InstanceMethod("rodataVars", &BpfObject::RodataVars),
                           InstanceMethod("setMaxEntries", &BpfObject::SetMaxEntries),
                           InstanceMethod("setRodata", &BpfObject::SetRodata),
                           InstanceMethod("load", &BpfObject::Load),
                           InstanceMethod("mapFd", &BpfObject::MapFd),
                           InstanceMethod("progFd", &BpfObject::ProgFd),
                           InstanceMethod("close", &BpfObject::Close),
                       });
  }

  // new BpfObject(path, { pinRoot?: string })
  explicit BpfObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BpfObject>(info) {
    Napi::Env env = info.Env();
    std::string path = ArgString(info, 0, "path");
    std::string pin_root;
    if (info.Length() > 1 && info[1].IsObject())
      pin_root = OptString(info[1].As<Napi::Object>(), "pinRoot", "");
    LIBBPF_OPTS(bpf_object_open_opts, opts);
    if (!pin_root.empty()) opts.pin_root_path = pin_root.c_str();
    LogCapture cap;
    obj_ = bpf_object__open_file(path.c_str(), &opts);
    int err = libbpf_get_error(obj_);
    if (err) {
      obj_ = nullptr;
      ThrowErrno(env, "open BPF object " + path, err, cap.Take());
    }
    path_ = path;
  }

  ~BpfObject() override {
    if (obj_) bpf_object__close(obj_);
  }

 private:
  bpf_object* Obj(Napi::Env env) {
    if (!obj_) ThrowType(env, "BPF object " + path_ + " is closed");
    return obj_;
  }

  bpf_map* FindMap(Napi::Env env, const std::string& name) {
    bpf_map* m = bpf_object__find_map_by_name(Obj(env), name.c_str());
    if (!m) ThrowType(env, "BPF object " + path_ + " has no map named " + name);
    return m;
  }

  bpf_program* FindProg(Napi::Env env, const std::string& name) {
    bpf_program* p = bpf_object__find_program_by_name(Obj(env), name.c_str());
    if (!p) ThrowType(env, "BPF object " + path_ + " has no program named " + name);
    return p;
  }

  Napi::Value Maps(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array out = Napi::Array::New(env);
    bpf_map* m;
    uint32_t i = 0;
    bpf_object__for_each_map(m, Obj(env)) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", bpf_map__name(m));
      o.Set("type", static_cast<double>(bpf_map__type(m)));
      o.Set("keySize", bpf_map__key_size(m));
      o.Set("valueSize", bpf_map__value_size(m));
      o.Set("maxEntries", bpf_map__max_entries(m));
      o.Set("flags", bpf_map__map_flags(m));
      o.Set("fd", bpf_map__fd(m));
      const char* pin = bpf_map__pin_path(m);
      o.Set("pinPath", pin ? Napi::Value(Napi::String::New(env, pin)) : env.Null());
      o.Set("internal", bpf_map__is_internal(m));
      out.Set(i++, o);
    }
    return out;
  }

  Napi::Value Programs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array out = Napi::Array::New(env);
    bpf_program* p;
    uint32_t i = 0;
    bpf_object__for_each_program(p, Obj(env)) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", bpf_program__name(p));
      o.Set("section", bpf_program__section_name(p));
      o.Set("type", static_cast<double>(bpf_program__type(p)));
      o.Set("attachType", static_cast<double>(bpf_program__expected_attach_type(p)));
      o.Set("fd", bpf_program__fd(p));
      out.Set(i++, o);
    }
    return out;
  }

  // Variables of the .rodata section (name, offset, size) from the object's BTF.
  Napi::Value RodataVars(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array out = Napi::Array::New(env);
    btf* b = bpf_object__btf(Obj(env));
    if (!b) return out;
    int sec_id = btf__find_by_name_kind(b, ".rodata", BTF_KIND_DATASEC);
    if (sec_id < 0) return out;
    const btf_type* sec = btf__type_by_id(b, sec_id);
    const btf_var_secinfo* vs = btf_var_secinfos(sec);
    for (uint16_t i = 0; i < btf_vlen(sec); i++, vs++) {
      const btf_type* var = btf__type_by_id(b, vs->type);
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", btf__name_by_offset(b, var->name_off));
      o.Set("offset", vs->offset);
      o.Set("size", vs->size);
      out.Set(i, o);
    }
    return out;
  }

  Napi::Value SetMaxEntries(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    bpf_map* m = FindMap(env, ArgString(info, 0, "map"));
    uint32_t n = ArgU32(info, 1, "maxEntries");
    int err = bpf_map__set_max_entries(m, n);
    if (err) ThrowErrno(env, std::string("set max_entries of ") + bpf_map__name(m), err);
    return env.Undefined();
  }

  // setRodata(varName, bytes): overwrites one .rodata variable before load.
  Napi::Value SetRodata(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string var = ArgString(info, 0, "variable");
    Napi::Buffer<uint8_t> val = ArgBuffer(info, 1, "value");
    btf* b = bpf_object__btf(Obj(env));
    int sec_id = b ? btf__find_by_name_kind(b, ".rodata", BTF_KIND_DATASEC) : -1;
    if (sec_id < 0) ThrowType(env, "BPF object " + path_ + " has no .rodata section");
    const btf_type* sec = btf__type_by_id(b, sec_id);
    const btf_var_secinfo* vs = btf_var_secinfos(sec);
    for (uint16_t i = 0; i < btf_vlen(sec); i++, vs++) {
      const btf_type* t = btf__type_by_id(b, vs->type);
      if (var != btf__name_by_offset(b, t->name_off)) continue;
      if (val.Length() != vs->size)
        ThrowType(env, ".rodata variable " + var + " is " + std::to_string(vs->size) +
                           " bytes, got " + std::to_string(val.Length()));
      bpf_map* m;
      bpf_object__for_each_map(m, obj_) {
        if (!bpf_map__is_internal(m)) continue;
        const char* n = bpf_map__name(m);
        size_t nl = strlen(n);
        if (nl < 7 || strcmp(n + nl - 7, ".rodata") != 0) continue;
        size_t sz = 0;
        // Before load the initial value is writable memory owned by libbpf.
        void* data = const_cast<void*>(bpf_map__initial_value(m, &sz));
        if (!data || vs->offset + vs->size > sz) ThrowType(env, "cannot write .rodata of " + path_);
        memcpy(static_cast<uint8_t*>(data) + vs->offset, val.Data(), vs->size);
        return env.Undefined();
      }
      ThrowType(env, "BPF object " + path_ + " has no .rodata map");
    }
    ThrowType(env, "BPF object " + path_ + " has no .rodata variable " + var);
  }

  Napi::Value Load(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    LogCapture cap;
    int err = bpf_object__load(Obj(env));
    if (err) ThrowErrno(env, "load BPF object " + path_, err, cap.Take());
    return env.Undefined();
  }

  Napi::Value MapFd(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    bpf_map* m = FindMap(env, ArgString(info, 0, "map"));
    return Napi::Number::New(env, bpf_map__fd(m));
  }

  Napi::Value ProgFd(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    bpf_program* p = FindProg(env, ArgString(info, 0, "program"));
    return Napi::Number::New(env, bpf_program__fd(p));
  }

  // Closes every descriptor of the object. Pinned maps and attached programs stay in the
  // kernel (that is how an agent restart keeps the datapath running).
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (obj_) {
      bpf_object__close(obj_);
      obj_ = nullptr;
    }
    return info.Env().Undefined();
  }

  bpf_object* obj_ = nullptr;
  std::string path_;
};

void InitObject(Napi::Env env, Napi::Object exports) {
  exports.Set("BpfObject", BpfObject::Define(env));
}

}  // namespace lumen
