// Login sessions (CSRF, expiry, eviction) and DICOMweb content negotiation.
#include <gtest/gtest.h>

#include "web/dicomweb/http_authenticator.h"
#include "web/dicomweb/negotiation.h"
#include "web/dicomweb/session_store.h"

namespace bastion::web::dicomweb {
namespace {

using Clock = SessionStore::Clock;

TEST(SessionStoreTest, FindsASessionByItsIdAndChecksItsCsrfToken) {
  SessionStore store;
  const auto now = Clock::now();
  NewSession s = store.Create("alice", now);
  EXPECT_EQ(s.id.size(), 64u);
  EXPECT_NE(s.id, s.csrf_token);
  auto found = store.Find(s.id, now);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->user, "alice");
  EXPECT_TRUE(SessionStore::CsrfMatches(*found, s.csrf_token));
  EXPECT_FALSE(SessionStore::CsrfMatches(*found, s.id));
  EXPECT_FALSE(SessionStore::CsrfMatches(*found, ""));
  EXPECT_FALSE(store.Find(s.csrf_token, now).has_value());
}

TEST(SessionStoreTest, EndsSessionsWhenIdleWhenTooOldAndAtLogout) {
  SessionLimits limits;
  limits.idle = std::chrono::seconds(60);
  limits.absolute = std::chrono::seconds(300);
  SessionStore store(limits);
  const auto t0 = Clock::now();
  NewSession idle = store.Create("a", t0);
  EXPECT_FALSE(store.Find(idle.id, t0 + std::chrono::seconds(61)).has_value());
  NewSession old = store.Create("b", t0);
  for (int s = 50; s < 300; s += 50) {
    ASSERT_TRUE(store.Find(old.id, t0 + std::chrono::seconds(s)).has_value()) << s;
  }
  EXPECT_FALSE(store.Find(old.id, t0 + std::chrono::seconds(301)).has_value());
  NewSession out = store.Create("c", t0);
  store.Remove(out.id);
  EXPECT_FALSE(store.Find(out.id, t0).has_value());
}

TEST(SessionStoreTest, EvictsTheLeastRecentlyUsedBeyondTheCap) {
  SessionLimits limits;
  limits.max_sessions = 2;
  SessionStore store(limits);
  const auto now = Clock::now();
  NewSession a = store.Create("a", now);
  NewSession b = store.Create("b", now);
  ASSERT_TRUE(store.Find(a.id, now).has_value());  // b is now the least recently used
  NewSession c = store.Create("c", now);
  EXPECT_EQ(store.size(), 2u);
  EXPECT_TRUE(store.Find(a.id, now).has_value());
  EXPECT_FALSE(store.Find(b.id, now).has_value());
  EXPECT_TRUE(store.Find(c.id, now).has_value());
}

TEST(CookieValueTest, FindsTheNamedCookieAmongOthers) {
  EXPECT_EQ(CookieValue("a=1; bastion_session=xyz; b=2", "bastion_session"), "xyz");
  EXPECT_EQ(CookieValue("bastion_session=", "bastion_session"), "");
  EXPECT_FALSE(CookieValue("xbastion_session=1", "bastion_session").has_value());
  EXPECT_FALSE(CookieValue("", "bastion_session").has_value());
}

http::RequestHead WithAccept(std::string accept) {
  http::RequestHead head;
  head.headers.emplace_back("accept", std::move(accept));
  return head;
}

std::optional<Offer> Pick(const std::string& accept, const std::vector<Offer>& offers) {
  auto ranges = AcceptRanges(WithAccept(accept));
  EXPECT_TRUE(ranges.ok()) << accept;
  return Negotiate(*ranges, offers);
}

TEST(NegotiationTest, HonoursTypeTransferSyntaxWildcardsAndQuality) {
  const Offer dicom_le{"multipart/related", "application/dicom", "1.2.840.10008.1.2.1"};
  EXPECT_TRUE(Pick("multipart/related; type=\"application/dicom\"", {dicom_le}));
  EXPECT_TRUE(Pick("multipart/related; type=\"application/dicom\"; transfer-syntax=*", {dicom_le}));
  EXPECT_TRUE(Pick("*/*", {dicom_le}));
  EXPECT_FALSE(
      Pick("multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.50",
           {dicom_le}));
  EXPECT_FALSE(Pick("multipart/related; type=\"application/octet-stream\"", {dicom_le}));
  EXPECT_FALSE(Pick("application/dicom+json", {dicom_le}));

  const Offer jpeg{"image/jpeg", "", ""};
  const Offer png{"image/png", "", ""};
  EXPECT_EQ(Pick("image/png", {jpeg, png})->media_type, "image/png");
  EXPECT_EQ(Pick("image/*", {jpeg, png})->media_type, "image/jpeg");
  EXPECT_EQ(Pick("image/jpeg;q=0.5, image/png", {jpeg, png})->media_type, "image/png");
  EXPECT_FALSE(Pick("image/*, image/jpeg;q=0, image/png;q=0", {jpeg, png}));
}

TEST(NegotiationTest, AnAbsentAcceptHeaderAcceptsAnything) {
  http::RequestHead head;
  auto ranges = AcceptRanges(head);
  ASSERT_TRUE(ranges.ok());
  EXPECT_TRUE(Negotiate(*ranges, {{"application/dicom+json", "", ""}}));
}

TEST(NegotiationTest, AMalformedAcceptHeaderIsAnError) {
  EXPECT_FALSE(AcceptRanges(WithAccept("image/jpeg;q=2")).ok());
}

}  // namespace
}  // namespace bastion::web::dicomweb
