// Attaching programs: tc (clsact, direct action) on an ifindex, optionally inside another
// network namespace, replaced atomically at the same handle/priority; cgroup hooks
// through pinned bpf_links, replaced atomically with bpf_link_update.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <net/if.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "common.h"

namespace lumen {

struct TcTarget {
  std::string netns;
  int ifindex;
  bpf_tc_attach_point point;
  uint32_t handle;
  uint32_t priority;
};

static TcTarget ReadTc(Napi::Env env, const Napi::Object& o) {
  TcTarget t;
  t.netns = OptString(o, "netns", "");
  t.ifindex = static_cast<int>(OptU32(o, "ifindex", 0));
  if (t.ifindex <= 0) ThrowType(env, "tc target needs ifindex > 0");
  std::string dir = OptString(o, "direction", "");
  if (dir == "ingress") t.point = BPF_TC_INGRESS;
  else if (dir == "egress") t.point = BPF_TC_EGRESS;
  else ThrowType(env, "tc direction must be 'ingress' or 'egress', got '" + dir + "'");
  t.handle = OptU32(o, "handle", 0);
  t.priority = OptU32(o, "priority", 0);
  if (t.handle == 0 || t.priority == 0 || t.priority > 0xffff)
    ThrowType(env, "tc target needs handle > 0 and priority 1..65535");
  return t;
}

static std::string Where(const TcTarget& t) {
  return "ifindex " + std::to_string(t.ifindex) + (t.point == BPF_TC_INGRESS ? " ingress" : " egress") +
         (t.netns.empty() ? "" : " in " + t.netns);
}

// tcAttach({ netns?, ifindex, direction, handle, priority, progFd }) -> { progId }
static Napi::Value TcAttach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = ArgObject(info, 0, "target");
  TcTarget t = ReadTc(env, o);
  int prog_fd = static_cast<int>(OptU32(o, "progFd", 0));
  NetnsGuard ns(env, t.netns);
  LogCapture cap;
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = t.ifindex, .attach_point = t.point);
  int err = bpf_tc_hook_create(&hook);
  if (err && err != -EEXIST) ThrowErrno(env, "create clsact qdisc on " + Where(t), err, cap.Take());
  // REPLACE at our own handle/priority: the old program keeps running until the new one
  // is in place, and filters of other owners (other priorities) are left alone.
  LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE,
              .handle = t.handle, .priority = t.priority);
  err = bpf_tc_attach(&hook, &opts);
  if (err) ThrowErrno(env, "attach tc program on " + Where(t), err, cap.Take());
  Napi::Object res = Napi::Object::New(env);
  res.Set("progId", opts.prog_id);
  return res;
}

// tcDetach({ netns?, ifindex, direction, handle, priority }) -> boolean (false: none there)
static Napi::Value TcDetach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TcTarget t = ReadTc(env, ArgObject(info, 0, "target"));
  NetnsGuard ns(env, t.netns);
  LogCapture cap;
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = t.ifindex, .attach_point = t.point);
  LIBBPF_OPTS(bpf_tc_opts, opts, .handle = t.handle, .priority = t.priority);
  int err = bpf_tc_detach(&hook, &opts);
  if (err == -ENOENT || err == -ENODEV || err == -EINVAL) return Napi::Boolean::New(env, false);
  if (err) ThrowErrno(env, "detach tc program on " + Where(t), err, cap.Take());
  return Napi::Boolean::New(env, true);
}

// tcQuery({ ... }) -> { progId } | null
static Napi::Value TcQuery(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TcTarget t = ReadTc(env, ArgObject(info, 0, "target"));
  NetnsGuard ns(env, t.netns);
  LogCapture cap;
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = t.ifindex, .attach_point = t.point);
  LIBBPF_OPTS(bpf_tc_opts, opts, .handle = t.handle, .priority = t.priority);
  int err = bpf_tc_query(&hook, &opts);
  if (err == -ENOENT || err == -EINVAL) return env.Null();
  if (err) ThrowErrno(env, "query tc program on " + Where(t), err, cap.Take());
  Napi::Object res = Napi::Object::New(env);
  res.Set("progId", opts.prog_id);
  return res;
}

// ifIndex(name, netns?) -> number
static Napi::Value IfIndex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "name");
  std::string netns = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
  NetnsGuard ns(env, netns);
  unsigned idx = if_nametoindex(name.c_str());
  if (idx == 0) ThrowErrno(env, "interface " + name + (netns.empty() ? "" : " in " + netns), errno);
  return Napi::Number::New(env, idx);
}

static uint64_t CgroupId(Napi::Env env, const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st)) ThrowErrno(env, "stat cgroup " + path, errno);
  return st.st_ino;  // cgroup v2: the directory's inode number is the cgroup id
}

// cgroupAttach({ cgroupPath, progFd, attachType, linkPin }) -> { replaced, linkId }
// The link is pinned at linkPin, so the hook stays after this process exits; a later
// call with the same pin swaps the program in place (bpf_link_update).
static Napi::Value CgroupAttach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = ArgObject(info, 0, "target");
  std::string cg = OptString(o, "cgroupPath", "");
  std::string pin = OptString(o, "linkPin", "");
  int prog_fd = static_cast<int>(OptU32(o, "progFd", 0));
  uint32_t attach_type = OptU32(o, "attachType", 0);
  if (cg.empty() || pin.empty() || prog_fd <= 0)
    ThrowType(env, "cgroupAttach needs cgroupPath, linkPin and progFd");

  uint64_t cg_id = CgroupId(env, cg);
  Napi::Object res = Napi::Object::New(env);
  int link_fd = bpf_obj_get(pin.c_str());
  if (link_fd >= 0) {
    bpf_link_info li;
    memset(&li, 0, sizeof li);
    uint32_t len = sizeof li;
    if (bpf_obj_get_info_by_fd(link_fd, &li, &len)) {
      int err = errno;
      close(link_fd);
      ThrowErrno(env, "inspect pinned link " + pin, err);
    }
    if (li.type != BPF_LINK_TYPE_CGROUP || li.cgroup.cgroup_id != cg_id ||
        li.cgroup.attach_type != attach_type) {
      close(link_fd);
      ThrowType(env, "pinned link " + pin + " belongs to another cgroup or hook; detach it first");
    }
    if (bpf_link_update(link_fd, prog_fd, nullptr)) {
      int err = errno;
      close(link_fd);
      ThrowErrno(env, "replace program of link " + pin, err);
    }
    res.Set("replaced", true);
    res.Set("linkId", li.id);
    close(link_fd);
    return res;
  }
  if (errno != ENOENT) ThrowErrno(env, "open pinned link " + pin, errno);

  int cg_fd = open(cg.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg_fd < 0) ThrowErrno(env, "open cgroup " + cg, errno);
  link_fd = bpf_link_create(prog_fd, cg_fd, static_cast<bpf_attach_type>(attach_type), nullptr);
  int err = errno;
  close(cg_fd);
  if (link_fd < 0) ThrowErrno(env, "attach cgroup program at " + cg, err);
  if (bpf_obj_pin(link_fd, pin.c_str())) {
    err = errno;
    close(link_fd);  // unpinned link: closing it detaches the program again
    ThrowErrno(env, "pin link at " + pin, err);
  }
  bpf_link_info li;
  memset(&li, 0, sizeof li);
  uint32_t len = sizeof li;
  bpf_obj_get_info_by_fd(link_fd, &li, &len);
  close(link_fd);
  res.Set("replaced", false);
  res.Set("linkId", li.id);
  return res;
}

// cgroupDetach(linkPin) -> boolean (false: no such pin)
static Napi::Value CgroupDetach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string pin = ArgString(info, 0, "linkPin");
  int fd = bpf_obj_get(pin.c_str());
  if (fd < 0) {
    if (errno == ENOENT) return Napi::Boolean::New(env, false);
    ThrowErrno(env, "open pinned link " + pin, errno);
  }
  int r = bpf_link_detach(fd);
  int err = errno;
  close(fd);
  if (r && err != EINVAL) ThrowErrno(env, "detach link " + pin, err);
  if (unlink(pin.c_str()) && errno != ENOENT) ThrowErrno(env, "unpin link " + pin, errno);
  return Napi::Boolean::New(env, true);
}

// cgroupQuery(cgroupPath, attachType) -> program ids attached there
static Napi::Value CgroupQuery(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string cg = ArgString(info, 0, "cgroupPath");
  uint32_t type = ArgU32(info, 1, "attachType");
  int cg_fd = open(cg.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg_fd < 0) ThrowErrno(env, "open cgroup " + cg, errno);
  uint32_t ids[64];
  uint32_t cnt = 64, flags = 0;
  int r = bpf_prog_query(cg_fd, static_cast<bpf_attach_type>(type), 0, &flags, ids, &cnt);
  int err = errno;
  close(cg_fd);
  if (r) ThrowErrno(env, "query cgroup programs at " + cg, err);
  Napi::Array out = Napi::Array::New(env, cnt);
  for (uint32_t i = 0; i < cnt; i++) out.Set(i, ids[i]);
  return out;
}

// progInfo(fd) -> { id, name, type }
static Napi::Value ProgInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "fd");
  bpf_prog_info pi;
  memset(&pi, 0, sizeof pi);
  uint32_t len = sizeof pi;
  if (bpf_obj_get_info_by_fd(fd, &pi, &len)) ThrowErrno(env, "get program info", errno);
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", pi.id);
  o.Set("name", pi.name);
  o.Set("type", pi.type);
  return o;
}

void InitAttach(Napi::Env env, Napi::Object exports) {
  exports.Set("tcAttach", Napi::Function::New(env, TcAttach));
  exports.Set("tcDetach", Napi::Function::New(env, TcDetach));
  exports.Set("tcQuery", Napi::Function::New(env, TcQuery));
  exports.Set("ifIndex", Napi::Function::New(env, IfIndex));
  exports.Set("cgroupAttach", Napi::Function::New(env, CgroupAttach));
  exports.Set("cgroupDetach", Napi::Function::New(env, CgroupDetach));
  exports.Set("cgroupQuery", Napi::Function::New(env, CgroupQuery));
  exports.Set("progInfo", Napi::Function::New(env, ProgInfo));
}

}  // namespace lumen
