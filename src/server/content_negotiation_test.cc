#include "server/content_negotiation.h"

#include <gtest/gtest.h>

namespace mlserving::server {
namespace {

TEST(MediaTypeTest, LowerCasesAndDropsParameters) {
  EXPECT_EQ(MediaType("Application/JSON; charset=utf-8"), "application/json");
  EXPECT_EQ(MediaType("  text/html  "), "text/html");
  EXPECT_EQ(MediaType(""), "");
}

TEST(ParseContentTypeTest, JsonIsTheDefault) {
  EXPECT_EQ(*ParseContentType(""), RequestEncoding::kJson);
  EXPECT_EQ(*ParseContentType("application/json"), RequestEncoding::kJson);
  EXPECT_EQ(*ParseContentType("application/json; charset=utf-8"), RequestEncoding::kJson);
  EXPECT_EQ(*ParseContentType("application/json;charset=\"UTF-8\""), RequestEncoding::kJson);
}

TEST(ParseContentTypeTest, RecognisesTheOtherEncodings) {
  EXPECT_EQ(*ParseContentType("image/png"), RequestEncoding::kPng);
  EXPECT_EQ(*ParseContentType("image/jpeg"), RequestEncoding::kJpeg);
  EXPECT_EQ(*ParseContentType("multipart/form-data; boundary=xyz"), RequestEncoding::kMultipart);
}

TEST(ParseContentTypeTest, RejectsUnknownTypesAndCharsets) {
  Result<RequestEncoding> xml = ParseContentType("application/xml");
  ASSERT_FALSE(xml.ok());
  EXPECT_NE(xml.status().message().find("application/json"), std::string::npos);
  EXPECT_FALSE(ParseContentType("application/json; charset=latin1").ok());
}

TEST(NegotiateResponseTest, DefaultsAndWildcardsGiveJson) {
  EXPECT_EQ(*NegotiateResponse(""), ResponseEncoding::kJson);
  EXPECT_EQ(*NegotiateResponse("*/*"), ResponseEncoding::kJson);
  EXPECT_EQ(*NegotiateResponse("application/*"), ResponseEncoding::kJson);
  EXPECT_EQ(*NegotiateResponse("application/json"), ResponseEncoding::kJson);
}

TEST(NegotiateResponseTest, HtmlWhenAsked) {
  EXPECT_EQ(*NegotiateResponse("text/html"), ResponseEncoding::kHtml);
  // A browser's Accept header.
  EXPECT_EQ(*NegotiateResponse("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
            ResponseEncoding::kHtml);
}

TEST(NegotiateResponseTest, HonoursQValues) {
  EXPECT_EQ(*NegotiateResponse("text/html;q=0.5, application/json"), ResponseEncoding::kJson);
  EXPECT_EQ(*NegotiateResponse("application/json;q=0.1, text/html;q=0.9"), ResponseEncoding::kHtml);
  EXPECT_EQ(*NegotiateResponse("application/json;q=0, text/html"), ResponseEncoding::kHtml);
  EXPECT_EQ(*NegotiateResponse("image/png, */*;q=0.1"), ResponseEncoding::kJson);
}

TEST(NegotiateResponseTest, NothingAcceptableIsAnError) {
  Result<ResponseEncoding> png = NegotiateResponse("image/png");
  ASSERT_FALSE(png.ok());
  EXPECT_NE(png.status().message().find("text/html"), std::string::npos);
  EXPECT_FALSE(NegotiateResponse("application/json;q=0").ok());
}

}  // namespace
}  // namespace mlserving::server
