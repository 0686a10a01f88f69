// Entry point of lumen_bpf.node: the N-API surface over libbpf (see ../README.md).
#include "common.h"

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  lumen::InstallLibbpfPrint();
  lumen::InitObject(env, exports);
  lumen::InitMaps(env, exports);
  lumen::InitAttach(env, exports);
  lumen::InitRingbuf(env, exports);
  lumen::InitTestRun(env, exports);
  return exports;
}

NODE_API_MODULE(lumen_bpf, InitAddon)
