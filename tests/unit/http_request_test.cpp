// The exporter's request path without sockets (http_request.hpp): the
// limits a head must keep before cpp-httplib sees it, and requests answered
// by the exporter's routes (exporter_routes.hpp) from a buffer.
#include "http_request.hpp"

#include <gtest/gtest.h>

#include <string>

#include "exporter_routes.hpp"
#include "snapshots.hpp"

namespace rcuwatch {
namespace {

std::string head_with(size_t headers) {
  std::string h = "GET /metrics HTTP/1.1\r\n";
  for (size_t i = 0; i < headers; i++) h += "X-" + std::to_string(i) + ": 1\r\n";
  return h + "\r\n";
}

TEST(RequestHead, WithinTheLimitsOrRefused) {
  const HttpLimits l;
  const std::string ok = head_with(100);
  const HeadCheck complete = check_request_head(ok + "GET / HTT", l);
  EXPECT_EQ(complete.kind, HeadCheck::Complete);
  EXPECT_EQ(complete.head_bytes, ok.size());
  EXPECT_EQ(check_request_head(head_with(101), l).status, 431);
  // Refused as soon as the lines are too many, before the head ends.
  EXPECT_EQ(check_request_head(head_with(150).substr(0, 1200), l).status, 431);
  EXPECT_EQ(check_request_head(ok.substr(0, ok.size() - 1), l).kind, HeadCheck::NeedMore);
  EXPECT_EQ(check_request_head(std::string(l.max_head_bytes, 'a'), l).kind, HeadCheck::NeedMore);
  EXPECT_EQ(check_request_head(std::string(l.max_head_bytes + 1, 'a'), l).status, 414);
  const std::string big = "GET / HTTP/1.1\r\nCookie: " + std::string(l.max_head_bytes, 'a');
  EXPECT_EQ(check_request_head(big, l).status, 431);
  EXPECT_EQ(check_request_head(big.substr(0, l.max_head_bytes - 3) + "\r\n\r\n", l).status, 431);
  EXPECT_EQ(check_request_head(big.substr(0, l.max_head_bytes - 4) + "\r\n\r\n", l).kind,
            HeadCheck::Complete);
}

TEST(RequestHead, ABodyOrTheLastRequestClosesTheConnection) {
  HttpLimits l;
  EXPECT_FALSE(closes_after("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 0, l));
  EXPECT_TRUE(closes_after("GET / HTTP/1.1\r\ncontent-length: 5\r\n\r\n", 0, l));
  EXPECT_TRUE(closes_after("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 0, l));
  EXPECT_TRUE(closes_after("GET / HTTP/1.1\r\n\r\n", l.max_requests_per_connection - 1, l));
}

class Routes : public ::testing::Test {
 protected:
  Routes() : ticks_({}, {}), served_{options_, latest_, ticks_, auth_, "test"} {
    latest_.publish(test::demo_snapshot());
    configure_routes(processor_, served_, PrometheusOptions{});
  }
  Answer get(const std::string& request) {
    Job job;
    job.bytes = request;
    return answer_request(processor_, job);
  }

  ExporterOptions options_;
  LatestSnapshot latest_;
  TickLog ticks_;
  BasicAuth auth_{{}};
  Served served_;
  RequestProcessor processor_;
};

// Found while writing tests/fuzz/fuzz_http_request.cpp (whose no-amplification
// invariant it breaks): cpp-httplib 0.11 answered N ranges with N copies.
TEST_F(Routes, ARangeIsIgnoredNotAmplified) {
  const Answer whole = get("GET /api/v1/snapshot HTTP/1.1\r\n\r\n");
  ASSERT_EQ(whole.response.rfind("HTTP/1.1 200 ", 0), 0u) << whole.response.substr(0, 200);
  std::string ranges = "0-";
  for (int i = 0; i < 2000; i++) ranges += ",0-";
  for (const std::string& range : {std::string("0-9"), ranges}) {
    const Answer a = get("GET /api/v1/snapshot HTTP/1.1\r\nRange: bytes=" + range + "\r\n\r\n");
    EXPECT_EQ(a.response.rfind("HTTP/1.1 200 ", 0), 0u) << a.response.substr(0, 200);
    EXPECT_EQ(a.response.size(), whole.response.size());
  }
}

TEST_F(Routes, PipelinedRequestsLeaveTheirRest) {
  const Answer a = get("GET /healthz HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(a.response.rfind("HTTP/1.1 200 ", 0), 0u);
  EXPECT_EQ(a.leftover, "GET / HTTP/1.1\r\n\r\n");
  EXPECT_FALSE(a.close);
  EXPECT_TRUE(get("GET / HTTP/1.0\r\n\r\n").close);
}

}  // namespace
}  // namespace rcuwatch
