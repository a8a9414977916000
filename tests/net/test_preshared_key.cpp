// The control channel's job secret (net/preshared_key.hpp): keys
// derived per purpose, and TLS 1.3 by pre-shared key between two ends that
// hold the same secret, refused on both sides when they do not, and refused
// to a peer that shows a certificate instead.
#include <gtest/gtest.h>

#include <future>
#include <string>
#include <thread>

#include "common/errors.hpp"
#include "common/socket.hpp"
#include "net/blocking_tls.hpp"
#include "net/preshared_key.hpp"
#include "tests/tls_fixture.hpp"

namespace ringsim {
namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kOtherSecret = "fedcba9876543210fedcba9876543210fedcba9876543210";

TEST(JobKey, DerivedPerPurposeAndSecret) {
  const auto control = derive_job_key(kSecret, "control channel");
  EXPECT_EQ(control.size(), 32u);
  EXPECT_EQ(control, derive_job_key(kSecret, "control channel"));
  EXPECT_NE(control, derive_job_key(kSecret, "checkpoints"));
  EXPECT_NE(control, derive_job_key(kOtherSecret, "control channel"));
  // The key is not the secret's bytes.
  EXPECT_NE(std::string(control.begin(), control.end()), kSecret.substr(0, 32));
}

TEST(JobKey, ShortSecretRefusedWithHowToMakeOne) {
  try {
    derive_job_key("hunter2", "control channel");
    FAIL() << "a 7-character secret was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("7 characters; it needs at least 32"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("secrets.token_hex(32)"), std::string::npos) << e.what();
  }
}

PresharedKey key_of(const std::string& secret) { return {derive_job_key(secret, "control channel"), "ringsim-test"}; }

// Runs a server (accepting) and a client handshake on a loopback pair; each
// side's result is "" (and one message passed) or its error.
std::pair<std::string, std::string> handshake(const TlsContext& server_context, const TlsContext& client_context) {
  Endpoint bound;
  Socket listener = listen_on({"127.0.0.1", 0}, bound);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto server = std::async(std::launch::async, [&]() -> std::string {
    try {
      BlockingTls tls(accept_one(listener, deadline), server_context, true, "algo-1", "the leader", deadline);
      std::byte got[5]{};
      std::size_t have = 0;
      while (have < sizeof got) have += tls.read_some(std::span(got).subspan(have), deadline);
      return std::string(reinterpret_cast<const char*>(got), sizeof got) == "hello" ? "" : "wrong bytes";
    } catch (const Error& e) {
      return e.what();
    }
  });
  std::string client_result;
  try {
    BlockingTls tls(connect_to(bound, deadline), client_context, false, "algo-2", "worker algo-2", deadline);
    const std::string hello = "hello";
    tls.write_all({reinterpret_cast<const std::byte*>(hello.data()), hello.size()}, deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the server's verdict arrive
    std::byte probe[1];
    try {
      tls.read_some(probe, std::chrono::steady_clock::now() + std::chrono::milliseconds(300));
    } catch (const TimeoutError&) {
    } catch (const PeerClosedError&) {
    }
  } catch (const Error& e) {
    client_result = e.what();
  }
  return {server.get(), client_result};
}

TEST(PresharedKeyTls, SameSecretConnects) {
  const PresharedKey key = key_of(kSecret);
  TlsContext server(key, "algo-2"), client(key, "algo-1");
  const auto [server_error, client_error] = handshake(server, client);
  EXPECT_EQ(server_error, "");
  EXPECT_EQ(client_error, "");
}

TEST(PresharedKeyTls, DifferentSecretsRefusedOnBothSides) {
  TlsContext server(key_of(kSecret), "algo-2"), client(key_of(kOtherSecret), "algo-1");
  const auto [server_error, client_error] = handshake(server, client);
  EXPECT_NE(server_error.find("TLS: refused the leader: it holds a different job secret"), std::string::npos)
      << server_error;
  EXPECT_NE(client_error.find("worker algo-2 refused this host's job secret"), std::string::npos) << client_error;
}

TEST(PresharedKeyTls, CertificatePeerRefusedEitherWay) {
  const auto certified = testing::tls_context(testing::host_certificate("algo-1"), "openssl");
  TlsContext psk(key_of(kSecret), "algo-2");
  // A stranger with a certificate (and no secret) connecting to a worker.
  const auto [server_error, client_error] = handshake(psk, *certified);
  EXPECT_NE(server_error.find("TLS: refused the leader: it did not prove it holds this job's secret"),
            std::string::npos)
      << server_error;
  EXPECT_NE(client_error, "");
  // A stranger with a certificate listening where the leader connects.
  const auto [server_error2, client_error2] = handshake(*certified, psk);
  EXPECT_NE(server_error2, "");
  EXPECT_NE(client_error2, "") << "the job-secret side accepted a certificate";
}

}  // namespace
}  // namespace ringsim
