#include "web/http/https_redirect.h"

#include <gtest/gtest.h>

#include <string>

namespace bastion::web::http {
namespace {

RequestHead Head(std::string method, std::string target, std::string host) {
  RequestHead head;
  head.method = std::move(method);
  head.target = std::move(target);
  if (!host.empty()) head.headers.emplace_back("host", std::move(host));
  return head;
}

std::string LocationOf(const Response& response) {
  auto location = FindHeader(response.headers, "location");
  return location ? std::string(*location) : "";
}

TEST(HostOfHostHeaderTest, KeepsTheHostAndDropsThePort) {
  EXPECT_EQ(*HostOfHostHeader("pacs.example.org"), "pacs.example.org");
  EXPECT_EQ(*HostOfHostHeader("pacs.example.org:8080"), "pacs.example.org");
  EXPECT_EQ(*HostOfHostHeader("10.1.2.3:80"), "10.1.2.3");
  EXPECT_EQ(*HostOfHostHeader("[fe80::1]:80"), "[fe80::1]");
  EXPECT_EQ(*HostOfHostHeader("[::1]"), "[::1]");
}

TEST(HostOfHostHeaderTest, RefusesAnythingButAPlainHost) {
  for (const char* bad : {"", ":80", "evil.com/x", "evil.com@pacs", "a b", "pacs:80x", "pacs:8:0",
                          "[::1", "[]", "[::1]x", "[::g]", "pacs\r\nSet-Cookie: a=b", "%2e"}) {
    EXPECT_FALSE(HostOfHostHeader(bad).has_value()) << bad;
  }
  EXPECT_FALSE(HostOfHostHeader(std::string(254, 'a')).has_value());
}

TEST(HttpsRedirectTest, RedirectsToTheSamePathOnTheHttpsPortWithoutTheQuery) {
  HttpsRedirect redirect("", 8443);
  Dispatch dispatch =
      redirect.Begin(Head("GET", "/dicom-web/studies?PatientName=DOE%5EJOHN", "pacs:8080"));
  ASSERT_EQ(dispatch.consumer, nullptr);
  EXPECT_EQ(dispatch.response.status, 308u);
  EXPECT_TRUE(dispatch.response.close);
  EXPECT_EQ(LocationOf(dispatch.response), "https://pacs:8443/dicom-web/studies");
  EXPECT_EQ(dispatch.response.body.find("DOE"), std::string::npos);
}

TEST(HttpsRedirectTest, OmitsTheDefaultHttpsPort) {
  HttpsRedirect redirect("", 443);
  EXPECT_EQ(LocationOf(redirect.Begin(Head("GET", "/ui/", "pacs")).response), "https://pacs/ui/");
}

TEST(HttpsRedirectTest, EveryMethodIsRedirectedAndItsBodyNeverRead) {
  HttpsRedirect redirect("", 8443);
  for (const char* method : {"POST", "DELETE", "PUT", "OPTIONS"}) {
    RequestHead head = Head(method, "/dicom-web/studies", "pacs");
    head.has_body = true;
    Dispatch dispatch = redirect.Begin(head);
    EXPECT_EQ(dispatch.consumer, nullptr) << method;
    EXPECT_EQ(dispatch.response.status, 308u) << method;
  }
}

TEST(HttpsRedirectTest, PrefersTheConfiguredPublicUrlOverTheHostHeader) {
  HttpsRedirect redirect("https://pacs.example.org:9443/", 8443);
  EXPECT_EQ(LocationOf(redirect.Begin(Head("GET", "/dicom-web/", "evil.example")).response),
            "https://pacs.example.org:9443/dicom-web/");
  EXPECT_EQ(LocationOf(redirect.Begin(Head("GET", "/dicom-web/", "")).response),
            "https://pacs.example.org:9443/dicom-web/");
}

TEST(HttpsRedirectTest, AnUnusableHostIsRefusedNotEchoed) {
  HttpsRedirect redirect("", 8443);
  for (const char* host : {"", "evil.com/path", "a\r\nb"}) {
    Dispatch dispatch = redirect.Begin(Head("GET", "/", host));
    EXPECT_EQ(dispatch.response.status, 400u) << host;
    EXPECT_TRUE(dispatch.response.close);
    EXPECT_TRUE(LocationOf(dispatch.response).empty());
  }
}

TEST(HttpsRedirectTest, ATargetThatIsNotAPathGoesToTheRoot) {
  HttpsRedirect redirect("", 8443);
  EXPECT_EQ(LocationOf(redirect.Begin(Head("OPTIONS", "*", "pacs")).response),
            "https://pacs:8443/");
  EXPECT_EQ(LocationOf(redirect.Begin(Head("GET", "http://x/y", "pacs")).response),
            "https://pacs:8443/");
}

TEST(HttpsRedirectTest, SessionErrorsCloseTheConnection) {
  HttpsRedirect redirect("", 8443);
  Response response = redirect.ErrorResponse(Status::Malformed("bad request line"), 0);
  EXPECT_EQ(response.status, 400u);
  EXPECT_TRUE(response.close);
  EXPECT_EQ(redirect.ErrorResponse(Status::Malformed("head too large"), 431).status, 431u);
}

}  // namespace
}  // namespace bastion::web::http
