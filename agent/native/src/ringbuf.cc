// Ring buffer consumers. RingBufferConsumer polls on its own thread and hands batches of
// raw records to JS through a ThreadSafeFunction; close() wakes and joins the thread so
// the process can exit. drainRing() reads whatever is queued, synchronously (tests).
//
// A batch is one Buffer of records, each: u32 length, u32 reserved, payload padded to 8.
#include <bpf/libbpf.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "common.h"

namespace lumen {

using Batch = std::vector<uint8_t>;

static void AppendRecord(Batch* b, const void* data, size_t size) {
  size_t off = b->size();
  size_t padded = (size + 7) & ~static_cast<size_t>(7);
  b->resize(off + 8 + padded, 0);
  uint32_t len = static_cast<uint32_t>(size);
  memcpy(b->data() + off, &len, 4);
  memcpy(b->data() + off + 8, data, size);
}

class RingBufferConsumer : public Napi::ObjectWrap<RingBufferConsumer> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RingBufferConsumer",
                       {
                           InstanceMethod("close", &RingBufferConsumer::Close),
                           InstanceMethod("stats", &RingBufferConsumer::Stats),
                       });
  }

  // new RingBufferConsumer(mapFd, onBatch(buffer, count), { maxBatch?, maxQueued?, pollMs? })
  explicit RingBufferConsumer(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<RingBufferConsumer>(info) {
    Napi::Env env = info.Env();
    int fd = ArgFd(info, 0, "mapFd");
    if (info.Length() < 2 || !info[1].IsFunction()) ThrowType(env, "argument onBatch must be a function");
    if (info.Length() > 2 && info[2].IsObject()) {
      Napi::Object o = info[2].As<Napi::Object>();
      max_batch_ = OptU32(o, "maxBatch", 1024);
      max_queued_ = OptU32(o, "maxQueued", 64);
      poll_ms_ = OptU32(o, "pollMs", 50);
    }
    if (max_batch_ == 0) max_batch_ = 1;

    LogCapture cap;
    rb_ = ring_buffer__new(fd, &RingBufferConsumer::OnSample, this, nullptr);
    if (!rb_) ThrowErrno(env, "open ring buffer", errno, cap.Take());
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    ep_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (wake_fd_ < 0 || ep_fd_ < 0) {
      int err = errno;
      Cleanup();
      ThrowErrno(env, "create ring buffer wakeup", err);
    }
    // Our own epoll over libbpf's epoll fd and the wakeup eventfd: libbpf's poll would
    // misread a foreign fd in its own set.
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = 0;
    epoll_ctl(ep_fd_, EPOLL_CTL_ADD, ring_buffer__epoll_fd(rb_), &ev);
    ev.data.u32 = 1;
    epoll_ctl(ep_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);

    tsfn_ = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "lumen-ringbuf",
                                          max_queued_, 1);
    thread_ = std::thread([this] { Run(); });
  }

  ~RingBufferConsumer() override { Stop(); }

 private:
  static int OnSample(void* ctx, void* data, size_t size) {
    auto* self = static_cast<RingBufferConsumer*>(ctx);
    if (!self->cur_) self->cur_ = new Batch();
    AppendRecord(self->cur_, data, size);
    self->cur_count_++;
    self->events_++;
    if (self->cur_count_ >= self->max_batch_) self->Flush();
    return 0;
  }

  void Flush() {
    if (!cur_) return;
    Batch* b = cur_;
    uint32_t n = cur_count_;
    cur_ = nullptr;
    cur_count_ = 0;
    auto deliver = [n](Napi::Env env, Napi::Function cb, Batch* data) {
      auto buf = Napi::Buffer<uint8_t>::Copy(env, data->data(), data->size());
      delete data;
      cb.Call({buf, Napi::Number::New(env, n)});
    };
    // Non-blocking with retries: a blocking call could deadlock with close() on the JS
    // thread. If JS cannot keep up, the kernel ring fills and counts lost events.
    for (;;) {
      napi_status st = tsfn_.NonBlockingCall(b, deliver);
      if (st == napi_ok) {
        batches_++;
        return;
      }
      if (st != napi_queue_full || stop_.load()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    dropped_ += n;
    delete b;
  }

  void Run() {
    epoll_event evs[2];
    // The datapath wakes us only when a batch worth reading has piled up; below that
    // we drain on this timer, so an event waits at most poll_ms_.
    while (!stop_.load()) {
      int n = epoll_wait(ep_fd_, evs, 2, static_cast<int>(poll_ms_));
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (stop_.load()) break;
      ring_buffer__consume(rb_);
      Flush();
    }
  }

  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    stop_.store(true);
    if (wake_fd_ >= 0) {
      uint64_t one = 1;
      ssize_t w = write(wake_fd_, &one, sizeof one);
      (void)w;
    }
    if (thread_.joinable()) thread_.join();
    if (cur_) {
      dropped_ += cur_count_;
      delete cur_;
      cur_ = nullptr;
    }
    if (tsfn_) tsfn_.Release();
    Cleanup();
  }

  void Cleanup() {
    if (rb_) ring_buffer__free(rb_);
    rb_ = nullptr;
    if (wake_fd_ >= 0) close(wake_fd_);
    if (ep_fd_ >= 0) close(ep_fd_);
    wake_fd_ = ep_fd_ = -1;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Stop();
    return info.Env().Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("events", static_cast<double>(events_.load()));
    o.Set("batches", static_cast<double>(batches_.load()));
    o.Set("dropped", static_cast<double>(dropped_.load()));
    return o;
  }

  ring_buffer* rb_ = nullptr;
  int wake_fd_ = -1, ep_fd_ = -1;
  uint32_t max_batch_ = 1024, max_queued_ = 64, poll_ms_ = 50;
  Napi::ThreadSafeFunction tsfn_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  bool stopped_ = false;
  Batch* cur_ = nullptr;
  uint32_t cur_count_ = 0;
  std::atomic<uint64_t> events_{0}, batches_{0}, dropped_{0};
};

static int DrainSample(void* ctx, void* data, size_t size) {
  AppendRecord(static_cast<Batch*>(ctx), data, size);
  return 0;
}

// drainRing(mapFd) -> Buffer of records queued right now (same format as batches)
static Napi::Value DrainRing(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "mapFd");
  Batch b;
  LogCapture cap;
  ring_buffer* rb = ring_buffer__new(fd, DrainSample, &b, nullptr);
  if (!rb) ThrowErrno(env, "open ring buffer", errno, cap.Take());
  int r = ring_buffer__consume(rb);
  ring_buffer__free(rb);
  if (r < 0) ThrowErrno(env, "consume ring buffer", r);
  return Napi::Buffer<uint8_t>::Copy(env, b.data(), b.size());
}

void InitRingbuf(Napi::Env env, Napi::Object exports) {
  exports.Set("RingBufferConsumer", RingBufferConsumer::Define(env));
  exports.Set("drainRing", Napi::Function::New(env, DrainRing));
}

}  // namespace lumen
