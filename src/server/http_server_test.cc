#include "server/http_server.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "server/doubling_evaluator_for_test.h"

namespace mlserving::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

struct Reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  ///< lower-case names
  bool keep_alive = false;

  nlohmann::json Json() const { return nlohmann::json::parse(body); }
};

/// A small synchronous HTTP/1.1 client over one connection (keep-alive).
class Client {
 public:
  explicit Client(uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }

  Reply Send(http::verb method, const std::string& target, const std::string& body = "",
             const std::map<std::string, std::string>& headers = {}) {
    http::request<http::string_body> request(method, target, 11);
    request.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) request.set(name, value);
    if (method == http::verb::post || !body.empty()) {
      request.body() = body;
      request.prepare_payload();
    }
    http::write(socket_, request);
    return Receive(method == http::verb::head);
  }

  Reply Receive(bool head = false) {
    http::response_parser<http::string_body> parser;
    parser.skip(head);  // a HEAD answer has a Content-Length but no body
    parser.body_limit(64 << 20);
    http::read(socket_, buffer_, parser);
    const auto& response = parser.get();
    Reply reply;
    reply.status = static_cast<int>(response.result_int());
    reply.body = response.body();
    reply.keep_alive = response.keep_alive();
    for (const auto& field : response) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      reply.headers[name] = std::string(field.value());
    }
    return reply;
  }

  void WriteRaw(const std::string& bytes) { net::write(socket_, net::buffer(bytes)); }

  /// True when the server closes the connection (EOF or reset) within `timeout`.
  bool ClosedWithin(std::chrono::milliseconds timeout) {
    struct timeval tv {
      static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)
    };
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char byte;
    beast::error_code ec;
    for (;;) {
      socket_.read_some(net::buffer(&byte, 1), ec);
      if (ec == net::error::eof || ec == net::error::connection_reset) return true;
      if (ec) return false;  // timed out (EAGAIN)
    }
  }

 private:
  net::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

Reply Fetch(uint16_t port, http::verb method, const std::string& target, const std::string& body = "",
            const std::map<std::string, std::string>& headers = {}) {
  Client client(port);
  return client.Send(method, target, body, headers);
}

ServerOptions TestOptions() {
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.io_threads = 2;
  options.worker_threads = 4;
  options.request_timeout = 5s;
  options.drain_timeout = 5s;
  return options;
}

/// A started server on an ephemeral port, stopped on destruction.
class TestServer {
 public:
  explicit TestServer(ServerOptions options = TestOptions(), std::chrono::milliseconds delay = 0ms)
      : evaluator_(std::make_shared<testing::DoublingEvaluator>(delay)),
        server_(std::move(options), testing::TestModel(evaluator_)) {
    const Status started = server_.Start();
    EXPECT_TRUE(started.ok()) << started.ToString();
  }

  uint16_t port() const { return server_.port(); }
  HttpServer& server() { return server_; }
  const testing::DoublingEvaluator& evaluator() const { return *evaluator_; }

 private:
  std::shared_ptr<testing::DoublingEvaluator> evaluator_;
  HttpServer server_;
};

TEST(HttpServerTest, ServesEveryRoute) {
  TestServer server;
  ASSERT_NE(server.port(), 0);

  Reply eval = Fetch(server.port(), http::verb::post, "/eval", R"({"x": [[1, 2], [3, 4]]})",
                     {{"Content-Type", "application/json"}});
  ASSERT_EQ(eval.status, 200) << eval.body;
  EXPECT_EQ(eval.headers["content-type"], "application/json");
  EXPECT_EQ(eval.Json()["y"], nlohmann::json::parse("[[2,4],[6,8]]"));

  Reply html = Fetch(server.port(), http::verb::post, "/eval", R"({"x": [1, 2]})", {{"Accept", "text/html"}});
  EXPECT_EQ(html.status, 200);
  EXPECT_EQ(html.headers["content-type"], "text/html; charset=utf-8");

  Reply describe = Fetch(server.port(), http::verb::get, "/describe");
  EXPECT_EQ(describe.status, 200);
  EXPECT_EQ(describe.Json()["inputs"][0]["name"], "x");

  EXPECT_EQ(Fetch(server.port(), http::verb::get, "/health/live").Json()["status"], "live");
  EXPECT_EQ(Fetch(server.port(), http::verb::get, "/health/ready").Json()["status"], "ready");
  EXPECT_EQ(Fetch(server.port(), http::verb::get, "/").status, 200);
  Reply openapi = Fetch(server.port(), http::verb::get, "/openapi.json");
  EXPECT_EQ(openapi.status, 200);
  EXPECT_EQ(openapi.Json()["openapi"], "3.0.3");
  Reply metrics = Fetch(server.port(), http::verb::get, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.headers["content-type"].rfind("text/plain; version=0.0.4", 0), 0u);
}

TEST(HttpServerTest, ErrorsAreJsonWithTheirStatus) {
  TestServer server;
  Reply missing = Fetch(server.port(), http::verb::get, "/nowhere");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.Json()["status"], 404);

  Reply wrong_method = Fetch(server.port(), http::verb::put, "/eval", "{}");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.headers["allow"], "POST");

  Reply png = Fetch(server.port(), http::verb::post, "/eval", "\x89PNG", {{"Content-Type", "image/png"}});
  EXPECT_EQ(png.status, 415);
  EXPECT_EQ(png.Json()["status"], 415);

  Reply not_acceptable = Fetch(server.port(), http::verb::post, "/eval", R"({"x": [1, 2]})", {{"Accept", "image/png"}});
  EXPECT_EQ(not_acceptable.status, 406);

  Reply bad = Fetch(server.port(), http::verb::post, "/eval", R"({"x": [1, 2)");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Json()["status"], 400);
}

TEST(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  TestServer server;
  Client client(server.port());
  for (int i = 0; i < 5; ++i) {
    Reply reply = client.Send(http::verb::post, "/eval", R"({"x": [1, 2]})");
    ASSERT_EQ(reply.status, 200);
    EXPECT_TRUE(reply.keep_alive);
  }
  // HEAD answers the GET headers without the body (and keeps the connection in sync).
  Reply head = client.Send(http::verb::head, "/describe");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  // Errors other than unreadable requests keep the connection too.
  EXPECT_EQ(client.Send(http::verb::get, "/nowhere").status, 404);
  EXPECT_EQ(client.Send(http::verb::get, "/health/live").status, 200);
}

TEST(HttpServerTest, BodyOverTheLimitIs413) {
  ServerOptions options = TestOptions();
  options.max_body_bytes = 1024;
  TestServer server(options);
  const std::string body = R"({"x": [)" + std::string(4000, ' ') + "1, 2]}";
  Reply reply = Fetch(server.port(), http::verb::post, "/eval", body);
  EXPECT_EQ(reply.status, 413);
  EXPECT_EQ(reply.Json()["status"], 413);
  EXPECT_FALSE(reply.keep_alive);
  const std::string metrics = Fetch(server.port(), http::verb::get, "/metrics").body;
  EXPECT_NE(metrics.find("mlserving_requests_total{route=\"/eval\",method=\"POST\",status=\"413\"} 1"),
            std::string::npos);
  // A body under the limit still works.
  EXPECT_EQ(Fetch(server.port(), http::verb::post, "/eval", R"({"x": [1, 2]})").status, 200);
}

TEST(HttpServerTest, ExpectContinueIsHonoured) {
  TestServer server;
  Client client(server.port());
  const std::string body = R"({"x": [5, 6]})";
  client.WriteRaw(
      "POST /eval HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n");
  EXPECT_EQ(client.Receive().status, 100);
  client.WriteRaw(body);
  Reply reply = client.Receive();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.Json()["y"], nlohmann::json::parse("[10,12]"));
}

TEST(HttpServerTest, HugeHeadersAre431) {
  TestServer server;
  Client client(server.port());
  std::string request = "GET /health/live HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 8; ++i) request += "X-Padding-" + std::to_string(i) + ": " + std::string(8000, 'a') + "\r\n";
  client.WriteRaw(request + "\r\n");
  Reply reply = client.Receive();
  EXPECT_EQ(reply.status, 431);
  EXPECT_EQ(reply.Json()["status"], 431);
  EXPECT_TRUE(client.ClosedWithin(3s));
  EXPECT_EQ(Fetch(server.port(), http::verb::get, "/health/live").status, 200);
}

TEST(HttpServerTest, GarbageDoesNotKillTheServer) {
  TestServer server;
  {
    Client client(server.port());
    client.WriteRaw(std::string("\x00\xff\x13garbage garbage\r\n\r\n", 22));
    EXPECT_TRUE(client.ClosedWithin(2s));
  }
  {
    Client client(server.port());
    client.WriteRaw("GET / HTTP/9.9\r\n\r\n");
    EXPECT_TRUE(client.ClosedWithin(2s));
  }
  {
    Client client(server.port());
    client.WriteRaw("POST /eval HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"x\":");  // then hang up
  }
  {
    Client client(server.port());
    client.WriteRaw("POST /eval HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    Reply reply = client.Receive();
    EXPECT_EQ(reply.status, 400);
  }
  {
    Client client(server.port());
    client.WriteRaw("GET /health/live HTTP/1.1\r\nContent-Length: -5\r\n\r\n");
    EXPECT_TRUE(client.ClosedWithin(2s));
  }
  EXPECT_EQ(Fetch(server.port(), http::verb::get, "/health/live").status, 200);
}

TEST(HttpServerTest, IdleAndHalfSentRequestsTimeOut) {
  ServerOptions options = TestOptions();
  options.request_timeout = 300ms;
  TestServer server(options);
  Client idle(server.port());
  Client slow(server.port());
  slow.WriteRaw("GET /health/live HTTP/1.1\r\nHost: x\r\n");  // never finished
  const auto begin = std::chrono::steady_clock::now();
  EXPECT_TRUE(idle.ClosedWithin(3s));
  EXPECT_TRUE(slow.ClosedWithin(3s));
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 2s);
  EXPECT_EQ(Fetch(server.port(), http::verb::get, "/health/live").status, 200);
}

TEST(HttpServerTest, SlowEvaluationPastTheTimeoutIs504) {
  ServerOptions options = TestOptions();
  options.request_timeout = 200ms;
  TestServer server(options, 400ms);
  Reply reply = Fetch(server.port(), http::verb::post, "/eval", R"({"x": [1, 2]})");
  EXPECT_EQ(reply.status, 504);
  EXPECT_EQ(reply.Json()["status"], 504);
}

TEST(HttpServerTest, MetricsCountRequests) {
  TestServer server;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Fetch(server.port(), http::verb::post, "/eval", R"({"x": [[1, 2], [3, 4]]})").status, 200);
  }
  Fetch(server.port(), http::verb::get, "/random/path/1");
  Fetch(server.port(), http::verb::get, "/random/path/2");
  const std::string text = Fetch(server.port(), http::verb::get, "/metrics").body;
  EXPECT_NE(text.find("mlserving_requests_total{route=\"/eval\",method=\"POST\",status=\"200\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("mlserving_requests_total{route=\"other\",method=\"GET\",status=\"404\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("mlserving_request_duration_seconds_count{route=\"/eval\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("mlserving_rows_evaluated_total 6\n"), std::string::npos);
  EXPECT_NE(text.find("mlserving_model_load_seconds 0.25\n"), std::string::npos);
  EXPECT_NE(text.find("mlserving_in_flight_requests 1\n"), std::string::npos);  // the /metrics request itself
  EXPECT_NE(text.find("mlserving_model_info{format=\"onnx\",path=\"/models/doubling.onnx\"} 1\n"), std::string::npos);
  EXPECT_EQ(text.find("/random"), std::string::npos);
}

TEST(HttpServerTest, FiftyConcurrentRequestsAllSucceed) {
  TestServer server(TestOptions(), 5ms);
  std::vector<std::future<Reply>> replies;
  for (int i = 0; i < 50; ++i) {
    replies.push_back(std::async(std::launch::async, [&server, i] {
      return Fetch(server.port(), http::verb::post, "/eval",
                   "{\"x\": [" + std::to_string(i) + ", " + std::to_string(i + 1) + "]}");
    }));
  }
  for (int i = 0; i < 50; ++i) {
    Reply reply = replies[i].get();
    ASSERT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.Json()["y"], nlohmann::json::array({2 * i, 2 * (i + 1)}));
  }
  EXPECT_EQ(server.evaluator().evaluations(), 50);
}

TEST(HttpServerTest, FullQueueIs503) {
  ServerOptions options = TestOptions();
  options.worker_threads = 1;
  options.max_queued_requests = 1;
  TestServer server(options, 300ms);
  std::vector<std::future<Reply>> replies;
  for (int i = 0; i < 5; ++i) {
    replies.push_back(std::async(
        std::launch::async, [&server] { return Fetch(server.port(), http::verb::post, "/eval", R"({"x": [1, 2]})"); }));
  }
  int ok = 0;
  int overloaded = 0;
  for (auto& future : replies) {
    Reply reply = future.get();
    if (reply.status == 200) ++ok;
    if (reply.status == 503) {
      ++overloaded;
      EXPECT_EQ(reply.headers["retry-after"], "1");
      EXPECT_EQ(reply.Json()["status"], 503);
    }
  }
  EXPECT_GE(ok, 1);
  EXPECT_GE(overloaded, 1);
  EXPECT_EQ(ok + overloaded, 5);
}

TEST(HttpServerTest, StopDrainsInFlightRequests) {
  TestServer server(TestOptions(), 300ms);
  Client watcher(server.port());  // a connection opened before shutdown
  ASSERT_EQ(watcher.Send(http::verb::get, "/health/ready").status, 200);

  auto slow = std::async(std::launch::async,
                         [&server] { return Fetch(server.port(), http::verb::post, "/eval", R"({"x": [1, 2]})"); });
  std::this_thread::sleep_for(100ms);  // the evaluation is under way
  const auto begin = std::chrono::steady_clock::now();
  auto stopped = std::async(std::launch::async, [&server] { server.server().Stop(); });
  std::this_thread::sleep_for(50ms);

  Reply ready = watcher.Send(http::verb::get, "/health/ready");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.Json()["status"], "not ready");
  EXPECT_FALSE(ready.keep_alive);

  Reply reply = slow.get();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.Json()["y"], nlohmann::json::parse("[2,4]"));
  stopped.get();
  EXPECT_GE(std::chrono::steady_clock::now() - begin, 100ms);

  beast::error_code ec;
  net::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server.port()), ec);
  EXPECT_TRUE(ec) << "the server still accepts connections after Stop()";
  server.server().Stop();  // idempotent
}

TEST(HttpServerTest, StopGivesUpAfterTheDrainTimeout) {
  ServerOptions options = TestOptions();
  options.drain_timeout = 100ms;
  TestServer server(options, 1500ms);
  auto slow = std::async(std::launch::async, [&server] {
    try {
      return Fetch(server.port(), http::verb::post, "/eval", R"({"x": [1, 2]})").status;
    } catch (const std::exception&) {
      return -1;  // the connection was closed unanswered
    }
  });
  std::this_thread::sleep_for(100ms);
  const auto begin = std::chrono::steady_clock::now();
  server.server().Stop();
  EXPECT_EQ(slow.get(), -1);
  // Stop waits for the running evaluation to return (threads are joined), not for its answer.
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 3s);
}

TEST(HttpServerTest, StartErrors) {
  TestServer first;
  EXPECT_EQ(first.server().Start().code(), StatusCode::kFailedPrecondition);

  ServerOptions options = TestOptions();
  options.port = first.port();
  HttpServer second(options, testing::TestModel(std::make_shared<testing::DoublingEvaluator>()));
  EXPECT_EQ(second.Start().code(), StatusCode::kUnavailable);

  options.port = 0;
  options.host = "not an address";
  HttpServer third(options, testing::TestModel(std::make_shared<testing::DoublingEvaluator>()));
  EXPECT_EQ(third.Start().code(), StatusCode::kInvalidArgument);

  HttpServer no_model(TestOptions(), serving::LoadedModel{});
  EXPECT_EQ(no_model.Start().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(no_model.Run(), 1);
}

TEST(HttpServerTest, RunReturnsZeroOnSigterm) {
  TestServer server;
  auto run = std::async(std::launch::async, [&server] { return server.server().Run(); });
  // Wait until Run() has installed its handler: raising SIGTERM before would end the process.
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  struct sigaction current {};
  do {
    std::this_thread::sleep_for(10ms);
    sigaction(SIGTERM, nullptr, &current);
  } while (current.sa_handler == SIG_DFL && std::chrono::steady_clock::now() < give_up);
  ASSERT_NE(current.sa_handler, SIG_DFL);
  kill(getpid(), SIGTERM);
  ASSERT_EQ(run.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(run.get(), 0);
  EXPECT_THROW(Fetch(server.port(), http::verb::get, "/"), boost::system::system_error);
}

}  // namespace
}  // namespace mlserving::server
