// BPF_PROG_TEST_RUN: runs a program on a given packet (and optional context) in the
// kernel without attaching it: packet-table tests and per-packet cost measurement.
#include <bpf/bpf.h>

#include <vector>

#include "common.h"

namespace lumen {

// testRun(progFd, { data, ctx?, repeat?, dataOutSize?, netns? })
//   -> { retval, data, ctx, durationNs }
static Napi::Value TestRun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "progFd");
  Napi::Object o = ArgObject(info, 1, "options");
  Napi::Value dv = o.Get("data");
  if (!dv.IsBuffer()) ThrowType(env, "testRun option data must be a Buffer");
  auto data = dv.As<Napi::Buffer<uint8_t>>();
  uint32_t repeat = OptU32(o, "repeat", 1);
  uint32_t out_size = OptU32(o, "dataOutSize", static_cast<uint32_t>(data.Length()) + 256);
  std::vector<uint8_t> out(out_size);
  std::vector<uint8_t> ctx_in, ctx_out;
  Napi::Value cv = o.Get("ctx");
  if (cv.IsBuffer()) {
    auto c = cv.As<Napi::Buffer<uint8_t>>();
    ctx_in.assign(c.Data(), c.Data() + c.Length());
    ctx_out.resize(c.Length());
  } else if (!cv.IsUndefined() && !cv.IsNull()) {
    ThrowType(env, "testRun option ctx must be a Buffer");
  }

  LIBBPF_OPTS(bpf_test_run_opts, opts);
  opts.data_in = data.Data();
  opts.data_size_in = static_cast<uint32_t>(data.Length());
  opts.data_out = out.data();
  opts.data_size_out = out_size;
  if (!ctx_in.empty()) {
    opts.ctx_in = ctx_in.data();
    opts.ctx_size_in = static_cast<uint32_t>(ctx_in.size());
    opts.ctx_out = ctx_out.data();
    opts.ctx_size_out = static_cast<uint32_t>(ctx_out.size());
  }
  opts.repeat = static_cast<int>(repeat);
  // Helpers that consult the namespace (FIB lookups) see the one given, if any.
  std::string netns = OptString(o, "netns", "");
  int rc;
  int err = 0;
  {
    NetnsGuard ns(env, netns);
    rc = bpf_prog_test_run_opts(fd, &opts);
    if (rc) err = errno;
  }
  if (rc) ThrowErrno(env, "BPF_PROG_TEST_RUN", err);

  Napi::Object res = Napi::Object::New(env);
  res.Set("retval", opts.retval);
  res.Set("data", Napi::Buffer<uint8_t>::Copy(env, out.data(), opts.data_size_out));
  res.Set("ctx", ctx_in.empty() ? env.Null()
                                : Napi::Value(Napi::Buffer<uint8_t>::Copy(env, ctx_out.data(), opts.ctx_size_out)));
  res.Set("durationNs", opts.duration);
  return res;
}

void InitTestRun(Napi::Env env, Napi::Object exports) {
  exports.Set("testRun", Napi::Function::New(env, TestRun));
}

}  // namespace lumen
