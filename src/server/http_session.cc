#include "server/http_session.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "server/http_message.h"

namespace mlserving::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

/// After answering a request whose body may be left unread, how long the connection keeps
/// reading (and discarding) so that closing it does not reset the connection before the client
/// has read the answer.
constexpr std::chrono::seconds kLingerTime{2};
/// Client-controlled text written to the log is cut to this length.
constexpr size_t kMaxLoggedTarget = 256;

/// A bounded method label for metrics.
std::string_view MethodLabel(http::verb verb) {
  switch (verb) {
    case http::verb::get: return "GET";
    case http::verb::post: return "POST";
    case http::verb::put: return "PUT";
    case http::verb::delete_: return "DELETE";
    case http::verb::head: return "HEAD";
    case http::verb::options: return "OPTIONS";
    case http::verb::patch: return "PATCH";
    default: return "other";
  }
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, ServerContext& context) : stream_(std::move(socket)), context_(context) {
    beast::error_code ec;
    const tcp::endpoint remote = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = remote.address().to_string() + ":" + std::to_string(remote.port());
  }

  ~Session() {
    if (request_active_) EndRequest();
    context_.connections.Remove(registry_id_);
  }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Start() {
    std::weak_ptr<Session> weak = weak_from_this();
    registry_id_ = context_.connections.Add([weak] {
      if (auto self = weak.lock()) net::post(self->stream_.get_executor(), [self] { self->Abort(); });
    });
    if (registry_id_ == 0) return;  // shutting down: the socket closes with this session
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::ReadHeader, shared_from_this()));
  }

 private:
  // ---- reading ---------------------------------------------------------------------------------

  void ReadHeader() {
    received_ = Clock::time_point{};
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(std::min<size_t>(context_.options.max_header_bytes, UINT32_MAX)));
    parser_->body_limit(context_.options.max_body_bytes);
    stream_.expires_after(context_.options.request_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    received_ = Clock::now();
    const auto& header = parser_->get();
    if (beast::iequals(header[http::field::expect], "100-continue") && !parser_->is_done()) {
      // The client waits for this before sending the body (curl does for large bodies).
      auto interim = std::make_shared<http::response<http::empty_body>>(http::status::continue_, header.version());
      http::async_write(stream_, *interim, [self = shared_from_this(), interim](beast::error_code write_ec, size_t) {
        if (write_ec) return self->Close();
        self->ReadBody();
      });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    HandleRequest(parser_->release());
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == net::error::eof ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset) {
      return Close();
    }
    if (ec == beast::error::timeout) {
      spdlog::debug(R"({{"event":"connection_timeout","remote":"{}"}})", remote_);
      return Close();
    }
    // A request we refuse to read: answer it when the client may still be listening, then close.
    int status = 400;
    std::string message;
    if (ec == http::error::body_limit) {
      status = 413;
      message = "the request body exceeds the limit of " + std::to_string(context_.options.max_body_bytes) +
                " bytes; send fewer rows per request or raise the server's body limit";
    } else if (ec == http::error::header_limit) {
      status = 431;
      message = "the request headers exceed the limit of " + std::to_string(context_.options.max_header_bytes) +
                " bytes; send fewer or shorter headers";
    } else if (ec.category() == beast::error_code(http::error::bad_target).category()) {
      message = "malformed HTTP request (" + ec.message() + "); send an HTTP/1.1 request";
    } else {
      return Close();  // a transport error: nobody to answer
    }
    if (received_ == Clock::time_point{}) received_ = Clock::now();
    BeginRequest();
    keep_alive_ = false;
    linger_ = true;
    version_ = 11;
    if (parser_) {
      // Whatever of the start line was parsed (the limits are checked while reading fields).
      const auto& header = parser_->get();
      method_label_ = MethodLabel(header.method());
      target_ = std::string(header.target().substr(0, kMaxLoggedTarget));
      route_label_ = std::string(context_.router.RouteLabel(TargetPath(std::string(header.target()))));
      if (header.version() == 10 || header.version() == 11) version_ = header.version();
    }
    Send(ErrorResponse(status, message));
  }

  // ---- handling --------------------------------------------------------------------------------

  void HandleRequest(http::request<http::string_body>&& message) {
    BeginRequest();
    keep_alive_ = message.keep_alive();
    version_ = message.version();
    method_label_ = MethodLabel(message.method());
    target_ = std::string(message.target().substr(0, kMaxLoggedTarget));
    bytes_in_ = message.body().size();

    HttpRequest request;
    // HEAD is GET without the body (RFC 9110 9.3.2); Send() drops the body.
    head_ = message.method() == http::verb::head;
    request.method = head_ ? std::string("GET") : std::string(message.method_string());
    request.target = std::string(message.target());
    request.content_type = std::string(message[http::field::content_type]);
    request.accept = std::string(message[http::field::accept]);
    request.body = std::move(message.body());
    request.deadline = received_ + context_.options.request_timeout;
    const std::string_view path = TargetPath(request.target);
    route_label_ = std::string(context_.router.RouteLabel(path));

    if (!context_.router.NeedsWorker(request.method, path)) return Send(context_.router.Handle(request));

    auto self = shared_from_this();
    auto task = [self, request = std::move(request)] {
      HttpResponse response;
      if (self->context_.closing.load()) {
        response = ErrorResponse(503, "the server is shutting down; retry on another replica");
      } else {
        try {
          response = self->context_.router.Handle(request);
        } catch (...) {  // Handle() does not throw; bad_alloc while building the answer may
          response = ErrorResponse(500, "internal error while evaluating the request");
        }
      }
      net::post(self->stream_.get_executor(),
                [self, response = std::move(response)]() mutable { self->Send(std::move(response)); });
    };
    if (!context_.workers.Submit(std::move(task), context_.options.max_queued_requests)) {
      HttpResponse response =
          ErrorResponse(503, "the server is overloaded (" + std::to_string(context_.options.max_queued_requests) +
                                 " requests are waiting); retry later or add replicas");
      response.headers.emplace_back("Retry-After", "1");
      Send(std::move(response));
    }
  }

  // ---- writing ---------------------------------------------------------------------------------

  void Send(HttpResponse response) {
    auto& out = response_.emplace(static_cast<http::status>(response.status), version_);
    out.set(http::field::server, "mlserving");
    if (!response.content_type.empty()) out.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) out.set(name, value);
    out.body() = std::move(response.body);
    out.keep_alive(keep_alive_ && !context_.draining.load());
    out.prepare_payload();
    if (head_) {
      out.body().clear();  // the Content-Length stays that of the GET answer
      head_ = false;
    }
    status_ = response.status;
    bytes_out_ = out.body().size();
    RecordAnswer();
    stream_.expires_after(context_.options.request_timeout);
    http::async_write(stream_, out, beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, size_t) {
    const bool keep_alive = response_->keep_alive();
    response_.reset();
    EndRequest();
    if (ec) return Close();
    if (!keep_alive) return linger_ ? Linger() : Close();
    ReadHeader();
  }

  // ---- bookkeeping -----------------------------------------------------------------------------

  void BeginRequest() {
    request_active_ = true;
    answer_pending_ = true;
    context_.requests.Begin();
    context_.metrics.IncrementInFlight();
  }

  /// Counts and logs the answer about to be written (before the write, so that a client that
  /// has read it sees it in /metrics).
  void RecordAnswer() {
    answer_pending_ = false;
    context_.metrics.DecrementInFlight();
    const double seconds = std::chrono::duration<double>(Clock::now() - received_).count();
    context_.metrics.RecordRequest(route_label_, method_label_, status_, seconds);
    nlohmann::json line = {{"event", "request"},
                           {"method", method_label_},
                           {"target", target_},
                           {"status", status_},
                           {"latency_ms", std::round(seconds * 1e6) / 1e3},
                           {"bytes_in", bytes_in_},
                           {"bytes_out", bytes_out_},
                           {"remote", remote_}};
    spdlog::info("{}", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    bytes_in_ = 0;
  }

  /// The answer is written (or lost): shutdown may proceed once no request is active.
  void EndRequest() {
    if (answer_pending_) {
      answer_pending_ = false;
      context_.metrics.DecrementInFlight();
    }
    request_active_ = false;
    context_.requests.End();
  }

  // ---- closing ---------------------------------------------------------------------------------

  /// Ends the connection cleanly: no more data from us; the socket closes with the session.
  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  /// Close(), then discard what the client still sends for a while (see kLingerTime).
  void Linger() {
    Close();
    stream_.expires_after(kLingerTime);
    DiscardInput();
  }

  void DiscardInput() {
    stream_.async_read_some(net::buffer(discard_), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (!ec) self->DiscardInput();
    });
  }

  /// Shutdown: cancels whatever is pending; pending handlers then end the session.
  void Abort() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  ServerContext& context_;
  uint64_t registry_id_ = 0;
  std::string remote_ = "unknown";
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
  std::array<char, 16384> discard_{};

  // The request being answered (one at a time: HTTP/1.1 without pipelining in parallel).
  bool request_active_ = false;  ///< between BeginRequest() and EndRequest()
  bool answer_pending_ = false;  ///< between BeginRequest() and RecordAnswer()
  bool keep_alive_ = true;
  bool linger_ = false;
  bool head_ = false;  ///< the request is a HEAD: answer without the body
  unsigned version_ = 11;
  Clock::time_point received_{};
  std::string method_label_ = "other";
  std::string route_label_ = std::string(Router::kOtherRoute);
  std::string target_;
  int status_ = 0;
  size_t bytes_in_ = 0;
  size_t bytes_out_ = 0;
};

}  // namespace

void StartSession(tcp::socket socket, ServerContext& context) {
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  std::make_shared<Session>(std::move(socket), context)->Start();
}

}  // namespace mlserving::server
