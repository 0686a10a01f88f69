// Errors, argument validation and libbpf log capture for the addon.
#include "common.h"

#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace lumen {

static thread_local LogCapture* g_capture = nullptr;

LogCapture::LogCapture() : prev_(g_capture) { g_capture = this; }
LogCapture::~LogCapture() { g_capture = prev_; }
std::string LogCapture::Take() {
  std::string s;
  s.swap(buf_);
  return s;
}

int LibbpfPrint(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  // The verifier log arrives as one message of any length.
  va_list copy;
  va_copy(copy, args);
  int n = vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  if (n <= 0) return 0;
  std::string line(static_cast<size_t>(n) + 1, '\0');
  vsnprintf(line.data(), line.size(), fmt, args);
  line.resize(static_cast<size_t>(n));
  if (g_capture) {
    g_capture->buf_ += line;
    return 0;
  }
  // Outside a capture only warnings matter; they go to stderr with our tag.
  if (level == LIBBPF_WARN) fprintf(stderr, "[lumen-bpf] libbpf: %s", line.c_str());
  return 0;
}

void InstallLibbpfPrint() { libbpf_set_print(LibbpfPrint); }

static const char* ErrnoName(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case E2BIG: return "E2BIG";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENODEV: return "ENODEV";
    case ENOTDIR: return "ENOTDIR";
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case ERANGE: return "ERANGE";
    case ENOSYS: return "ENOSYS";
    case ENOTSUP: return "ENOTSUP";
    case ESRCH: return "ESRCH";
    case 524: return "ENOTSUPP";  // kernel-internal, leaks through some BPF commands
    default: return "EUNKNOWN";
  }
}

void ThrowErrno(Napi::Env env, const std::string& what, int err, const std::string& log) {
  if (err < 0) err = -err;
  std::string msg = what + ": " + strerror(err) + " (errno " + std::to_string(err) + ")";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  if (!log.empty()) e.Set("libbpfLog", Napi::String::New(env, log));
  throw e;
}

void ThrowType(Napi::Env env, const std::string& what) {
  throw Napi::TypeError::New(env, what);
}

int ArgFd(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber())
    ThrowType(info.Env(), std::string("argument ") + name + " must be a file descriptor number");
  int fd = info[i].As<Napi::Number>().Int32Value();
  if (fd < 0) ThrowType(info.Env(), std::string("argument ") + name + " is a closed descriptor");
  return fd;
}

uint32_t ArgU32(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber())
    ThrowType(info.Env(), std::string("argument ") + name + " must be a number");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (v < 0 || v > 4294967295.0 || v != static_cast<double>(static_cast<uint64_t>(v)))
    ThrowType(info.Env(), std::string("argument ") + name + " must be an unsigned 32-bit integer");
  return static_cast<uint32_t>(v);
}

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsString())
    ThrowType(info.Env(), std::string("argument ") + name + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

Napi::Buffer<uint8_t> ArgBuffer(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsBuffer())
    ThrowType(info.Env(), std::string("argument ") + name + " must be a Buffer");
  return info[i].As<Napi::Buffer<uint8_t>>();
}

Napi::Object ArgObject(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsObject())
    ThrowType(info.Env(), std::string("argument ") + name + " must be an object");
  return info[i].As<Napi::Object>();
}

uint32_t OptU32(const Napi::Object& o, const char* key, uint32_t def) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return def;
  if (!v.IsNumber()) ThrowType(o.Env(), std::string("option ") + key + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d < 0 || d > 4294967295.0)
    ThrowType(o.Env(), std::string("option ") + key + " must be an unsigned 32-bit integer");
  return static_cast<uint32_t>(d);
}

std::string OptString(const Napi::Object& o, const char* key, const std::string& def) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return def;
  if (!v.IsString()) ThrowType(o.Env(), std::string("option ") + key + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

NetnsGuard::NetnsGuard(Napi::Env env, const std::string& path) {
  if (path.empty()) return;
  orig_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (orig_ < 0) ThrowErrno(env, "open own network namespace", errno);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    close(orig_);
    orig_ = -1;
    ThrowErrno(env, "open network namespace " + path, err);
  }
  if (setns(fd, CLONE_NEWNET) != 0) {
    int err = errno;
    close(fd);
    close(orig_);
    orig_ = -1;
    ThrowErrno(env, "enter network namespace " + path, err);
  }
  close(fd);
}

NetnsGuard::~NetnsGuard() {
  if (orig_ < 0) return;
  // Failing to return would leave the JS thread in a foreign namespace: nothing sane
  // can continue after that.
  if (setns(orig_, CLONE_NEWNET) != 0) {
    perror("[lumen-bpf] cannot return to the original network namespace");
    abort();
  }
  close(orig_);
}

}  // namespace lumen
