#include "server/http_server.h"

#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <nlohmann/json.hpp>

#include "core/thread_pool.h"
#include "server/http_session.h"
#include "server/metrics.h"
#include "server/router.h"
#include "server/server_context.h"

namespace mlserving::server {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

/// After the drain, how long closing connections may take before the I/O threads are stopped.
constexpr std::chrono::seconds kCloseWait{1};
/// Pause before accepting again after an accept error (e.g. out of file descriptors).
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};

std::string Dump(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

struct HttpServer::Impl {
  enum class State { kNotStarted, kRunning, kStopped };

  Impl(ServerOptions server_options, serving::LoadedModel loaded_model)
      : options(std::move(server_options)),
        model(std::move(loaded_model)),
        ioc(static_cast<int>(std::max<size_t>(options.io_threads, 1))) {}

  void Accept();
  void RunIo();

  ServerOptions options;
  serving::LoadedModel model;

  /// Serialises Start() and Stop(); held for the whole drain.
  std::mutex lifecycle_mutex;
  State state = State::kNotStarted;  // guarded by lifecycle_mutex
  uint16_t port = 0;

  /// Wakes Run(): a signal arrived or Stop() completed.
  std::mutex run_mutex;
  std::condition_variable run_cv;
  bool stop_requested = false;  // guarded by run_mutex
  bool stopped = false;         // guarded by run_mutex

  // Declaration order is destruction order reversed: connections (pending handlers of `ioc`)
  // are destroyed with `ioc`, before the context, router and metrics they reference; the
  // worker pool posts to `ioc`, so it goes before it.
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<Router> router;
  std::unique_ptr<ServerContext> context;
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_guard;
  /// The acceptor and the signal set share one strand.
  std::optional<tcp::acceptor> acceptor;
  std::optional<net::signal_set> signals;
  std::unique_ptr<ThreadPool> workers;
  std::vector<std::thread> io_threads;
};

void HttpServer::Impl::Accept() {
  acceptor->async_accept(net::make_strand(ioc), [this](error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor->is_open()) return;
    if (ec) {
      spdlog::warn("{}", Dump({{"event", "accept_error"}, {"error", ec.message()}}));
      auto timer = std::make_shared<net::steady_timer>(acceptor->get_executor(), kAcceptRetryDelay);
      timer->async_wait([this, timer](error_code timer_ec) {
        if (!timer_ec) Accept();
      });
      return;
    }
    StartSession(std::move(socket), *context);
    Accept();
  });
}

void HttpServer::Impl::RunIo() {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      // Handlers do not throw by design; should one, keep serving the other connections.
      spdlog::error("{}", Dump({{"event", "io_thread_error"}, {"error", e.what()}}));
    }
  }
}

HttpServer::HttpServer(ServerOptions options, serving::LoadedModel model)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(model))) {}

HttpServer::~HttpServer() { Stop(); }

uint16_t HttpServer::port() const { return impl_->port; }

const serving::LoadedModel& HttpServer::model() const { return impl_->model; }

Status HttpServer::Start() {
  Impl& s = *impl_;
  std::lock_guard<std::mutex> lock(s.lifecycle_mutex);
  if (s.state != Impl::State::kNotStarted) return FailedPrecondition("the HTTP server was already started");
  if (!s.model.evaluator) return FailedPrecondition("the HTTP server was given no model to serve");
  const std::string where = s.options.host + ":" + std::to_string(s.options.port);

  error_code ec;
  tcp::resolver resolver(s.ioc);
  const auto endpoints = resolver.resolve(s.options.host, std::to_string(s.options.port),
                                          tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return InvalidArgument("cannot resolve the listening address '" + s.options.host + "' (" + ec.message() +
                           "); use an IP address such as 0.0.0.0 or 127.0.0.1");
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  s.acceptor.emplace(net::make_strand(s.ioc));
  s.acceptor->open(endpoint.protocol(), ec);
  if (!ec) s.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(endpoint, ec);
  if (!ec) s.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    s.acceptor.reset();
    return Unavailable("cannot listen on " + where + ": " + ec.message() +
                       "; choose another port or stop the process that holds it");
  }
  s.port = s.acceptor->local_endpoint(ec).port();

  try {
    s.metrics = std::make_unique<Metrics>(s.model.format, s.model.path, s.model.load_time.count());
    s.router = std::make_unique<Router>(s.model, s.options, *s.metrics);
  } catch (const std::exception& e) {
    s.acceptor.reset();
    return Internal(std::string("cannot prepare the routes of the model: ") + e.what());
  }
  s.workers = std::make_unique<ThreadPool>(s.options.worker_threads);
  s.context = std::make_unique<ServerContext>(s.options, *s.router, *s.metrics, *s.workers);
  s.work_guard.emplace(s.ioc.get_executor());
  s.Accept();
  const size_t io_threads = std::max<size_t>(s.options.io_threads, 1);
  for (size_t i = 0; i < io_threads; ++i) s.io_threads.emplace_back([&s] { s.RunIo(); });
  s.state = Impl::State::kRunning;

  const Signature& signature = s.model.evaluator->Describe();
  nlohmann::json inputs = nlohmann::json::array();
  nlohmann::json outputs = nlohmann::json::array();
  for (const TensorSpec& spec : signature.inputs) inputs.push_back(spec.name);
  for (const TensorSpec& spec : signature.outputs) outputs.push_back(spec.name);
  spdlog::info("{}", Dump({{"event", "model"},
                           {"summary", s.model.evaluator->Summary()},
                           {"format", s.model.format},
                           {"path", s.model.path},
                           {"load_seconds", s.model.load_time.count()},
                           {"inputs", std::move(inputs)},
                           {"outputs", std::move(outputs)}}));
  spdlog::info("{}", Dump({{"event", "listening"},
                           {"address", endpoint.address().to_string() + ":" + std::to_string(s.port)},
                           {"io_threads", io_threads},
                           {"worker_threads", s.workers->size()},
                           {"max_body_bytes", s.options.max_body_bytes},
                           {"request_timeout_ms", s.options.request_timeout.count()}}));
  return Status::Ok();
}

int HttpServer::Run() {
  Impl& s = *impl_;
  {
    std::lock_guard<std::mutex> lock(s.lifecycle_mutex);
    if (s.state == Impl::State::kNotStarted) {
      spdlog::error("{}", Dump({{"event", "run_error"}, {"error", "Run() called before a successful Start()"}}));
      return 1;
    }
    if (s.state == Impl::State::kStopped) return 0;
    s.signals.emplace(s.acceptor->get_executor(), SIGINT, SIGTERM);
    s.signals->async_wait([&s](error_code ec, int signal_number) {
      if (ec) return;
      spdlog::info("{}", Dump({{"event", "signal"},
                               {"signal", signal_number == SIGINT ? "SIGINT" : "SIGTERM"},
                               {"action", "draining; send it again to exit at once"}}));
      {
        std::lock_guard<std::mutex> run_lock(s.run_mutex);
        s.stop_requested = true;
      }
      s.run_cv.notify_all();
      // A second signal means the operator does not want to wait for the drain.
      s.signals->async_wait([](error_code second_ec, int) {
        if (second_ec) return;
        spdlog::warn("{}", Dump({{"event", "signal"}, {"action", "exiting without draining"}}));
        spdlog::default_logger()->flush();
        std::_Exit(1);
      });
    });
  }
  {
    std::unique_lock<std::mutex> lock(s.run_mutex);
    s.run_cv.wait(lock, [&s] { return s.stop_requested || s.stopped; });
  }
  Stop();
  return 0;
}

void HttpServer::Stop() {
  Impl& s = *impl_;
  std::lock_guard<std::mutex> lock(s.lifecycle_mutex);
  if (s.state != Impl::State::kRunning) return;
  const auto begin = std::chrono::steady_clock::now();
  spdlog::info("{}", Dump({{"event", "shutdown"},
                           {"phase", "draining"},
                           {"in_flight", s.context->requests.active()},
                           {"drain_timeout_ms", s.options.drain_timeout.count()}}));

  // Not ready, and no new connections; connections already open are still answered.
  s.router->SetReady(false);
  s.context->draining = true;
  std::promise<void> accepting_stopped;
  net::post(s.acceptor->get_executor(), [&s, &accepting_stopped] {
    error_code ec;
    s.acceptor->close(ec);
    if (s.signals) s.signals->cancel(ec);
    accepting_stopped.set_value();
  });
  accepting_stopped.get_future().wait();

  const bool drained = s.context->requests.WaitIdle(s.options.drain_timeout);
  if (!drained) {
    spdlog::warn("{}", Dump({{"event", "shutdown"},
                             {"phase", "drain_timeout"},
                             {"abandoned_requests", s.context->requests.active()}}));
  }
  s.context->closing = true;
  s.context->connections.CloseAll();
  s.context->connections.WaitEmpty(kCloseWait);
  s.work_guard.reset();
  s.ioc.stop();
  for (std::thread& thread : s.io_threads) thread.join();
  s.io_threads.clear();
  // Evaluations still running finish (bounded by their deadline); queued ones are answered 503
  // unevaluated, to connections that are already closed.
  s.workers.reset();
  s.signals.reset();
  s.state = Impl::State::kStopped;
  spdlog::info("{}",
               Dump({{"event", "shutdown"},
                     {"phase", "stopped"},
                     {"drained", drained},
                     {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count()}}));
  {
    std::lock_guard<std::mutex> run_lock(s.run_mutex);
    s.stopped = true;
  }
  s.run_cv.notify_all();
}

}  // namespace mlserving::server
