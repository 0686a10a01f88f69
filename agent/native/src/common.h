// Shared helpers of the addon: errors that carry errno + libbpf's own messages, argument
// readers, and the libbpf log capture.
#pragma once

#include <napi.h>

#include <cerrno>
#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdint>
#include <string>

namespace lumen {

// Collects libbpf's messages (verifier log included) on the current thread while alive,
// so a failing call can attach them to its error.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  std::string Take();

 private:
  LogCapture* prev_;
  std::string buf_;
  friend int LibbpfPrint(enum libbpf_print_level level, const char* fmt, va_list args);
};

int LibbpfPrint(enum libbpf_print_level level, const char* fmt, va_list args);
void InstallLibbpfPrint();

// Throws a JS Error: "<what>: <strerror> (errno N)" with .errno, .code (e.g. "ENOENT")
// and, when libbpf said something, .libbpfLog.
[[noreturn]] void ThrowErrno(Napi::Env env, const std::string& what, int err,
                             const std::string& log = "");
[[noreturn]] void ThrowType(Napi::Env env, const std::string& what);

int ArgFd(const Napi::CallbackInfo& info, size_t i, const char* name);
uint32_t ArgU32(const Napi::CallbackInfo& info, size_t i, const char* name);
std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name);
Napi::Buffer<uint8_t> ArgBuffer(const Napi::CallbackInfo& info, size_t i, const char* name);
Napi::Object ArgObject(const Napi::CallbackInfo& info, size_t i, const char* name);

uint32_t OptU32(const Napi::Object& o, const char* key, uint32_t def);
std::string OptString(const Napi::Object& o, const char* key, const std::string& def);

// Runs in the network namespace at `path` for its lifetime (empty path: no switch).
// setns() is per thread, and everything done under the guard is synchronous.
class NetnsGuard {
 public:
  NetnsGuard(Napi::Env env, const std::string& path);
  ~NetnsGuard();

 private:
  int orig_ = -1;
};

void InitObject(Napi::Env env, Napi::Object exports);
void InitMaps(Napi::Env env, Napi::Object exports);
void InitAttach(Napi::Env env, Napi::Object exports);
void InitRingbuf(Napi::Env env, Napi::Object exports);
void InitTestRun(Napi::Env env, Napi::Object exports);

}  // namespace lumen
