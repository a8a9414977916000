// The launchers' control channel (launcher/control_channel): who a worker
// hears the job's outcome and key from.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/errors.hpp"
#include "launcher/control_channel.hpp"
#include "launcher/control_handshakes.hpp"
#include "net/blocking_tls.hpp"
#include "net/certificates.hpp"
#include "net/preshared_key.hpp"
#include "net/tls_stream.hpp"
#include "tests/scratch_dir.hpp"
#include "tests/tls_fixture.hpp"

using namespace ringsim;
using ringsim::testing::ScratchDir;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace {

// 127.0.0.1 and a port nothing listens on (one the kernel just handed out).
Endpoint free_local_endpoint() {
  Endpoint bound;
  { Socket probe = listen_on({"127.0.0.1", 0}, bound); }
  return Endpoint{"127.0.0.1", bound.port};
}

// The control channel's TLS context for `host`, keyed from a job secret.
TlsContext job_secret_context(const std::string& host) {
  return TlsContext(
      PresharedKey{derive_job_key("0123456789abcdef0123456789abcdef", "ringsim control channel"), "ringsim-control"},
      host);
}

}  // namespace

// A worker on an authenticated control channel hears the outcome only from
// the leader: a plaintext "RSIMEXIT 0" from anyone and an impostor whose
// credentials the worker refuses are ignored (no key installed, no fake
// outcome), and the worker keeps listening for the real leader.
void expect_worker_hears_only_the_leader(const TlsContext& worker_tls, const TlsContext& leader_tls,
                                         const TlsContext& impostor_tls) {
  const Endpoint bound = free_local_endpoint();
  std::optional<WorkerChannel> worker;
  worker.emplace(bound);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  const std::string job_key =
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ringsim-job";
  std::thread intruders([&] {
    {
      Socket plain = connect_to({"127.0.0.1", bound.port}, deadline);
      const std::string fake = "RSIMEXIT 0 all fine\n";
      write_exact(plain.fd(), {reinterpret_cast<const std::byte*>(fake.data()), fake.size()}, deadline, "fake");
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    try {
      // TLS 1.3 lets the client finish before the server has checked its
      // certificate: the impostor may get as far as sending.
      LeaderChannel impostor;
      impostor.connect({{"algo-2", {"127.0.0.1", bound.port}}},
                       std::chrono::steady_clock::now() + std::chrono::seconds(3), &impostor_tls);
      impostor.share_ssh_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIImpostorsKey impostor",
                             std::chrono::steady_clock::now() + std::chrono::seconds(2));
      impostor.announce({0, "impostor"});
    } catch (const Error&) {
    }
    LeaderChannel leader;
    leader.connect({{"algo-2", {"127.0.0.1", bound.port}}}, deadline, &leader_tls);
    leader.share_ssh_key(job_key, deadline);
    leader.announce({7, "the real outcome"});
  });
  const ScratchDir scratch("keys");
  const auto keys = scratch.path() / "authorized_keys";
  std::ofstream(keys) << "ssh-ed25519 AAAA-someone-elses-key admin\n";
  // Links planted at the temporaries' names (this one's and an older
  // launcher's) must never be written through.
  const auto victim = scratch.path() / "victim";
  std::ofstream(victim) << "precious";
  for (const std::string suffix : {".tmp.", ".ringsim."})
    std::filesystem::create_symlink(victim, keys.string() + suffix + std::to_string(::getpid()));
  const JobOutcome outcome = worker->await_outcome(deadline, "algo-1", &worker_tls, keys.string());
  intruders.join();
  EXPECT_EQ(outcome.exit_code, 7);
  EXPECT_EQ(outcome.reason, "the real outcome");
  // The job's key, installed before the outcome, usable only from the
  // leader's address and for commands, and nothing the impostors sent.
  const auto text_of = [&] {
    std::ifstream installed(keys);
    return std::string((std::istreambuf_iterator<char>(installed)), {});
  };
  EXPECT_EQ(text_of(),
            "ssh-ed25519 AAAA-someone-elses-key admin\nfrom=\"127.0.0.1\",no-agent-forwarding,"
            "no-port-forwarding,no-X11-forwarding,no-user-rc " +
                job_key + "\n");
  EXPECT_EQ(std::filesystem::status(keys).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  // When the worker's channel ends (the job is over), the job's line goes.
  worker.reset();
  EXPECT_EQ(text_of(), "ssh-ed25519 AAAA-someone-elses-key admin\n");
  std::ifstream planted(victim);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(planted)), {}), "precious") << "a planted link was followed";
}

// With the job's certificates: the impostor's names another host.
TEST(ControlChannel, WorkerHearsOnlyTheLeaderWithItsCertificate) {
  const auto context_for = [](const std::string& host) {
    return ringsim::testing::tls_context(ringsim::testing::host_certificate(host), "openssl");
  };
  expect_worker_hears_only_the_leader(*context_for("algo-2"), *context_for("algo-1"), *context_for("algo-9"));
}

// With a job secret: the impostor holds another.
TEST(ControlChannel, WorkerHearsOnlyTheLeaderWithTheJobSecret) {
  const auto context_for = [](const std::string& secret, const std::string& host) {
    return std::make_unique<TlsContext>(
        PresharedKey{derive_job_key(secret, "ringsim control channel"), "ringsim-control"}, host);
  };
  const std::string secret = "0123456789abcdef0123456789abcdef", guess = "0123456789abcdef0123456789abcdeF";
  expect_worker_hears_only_the_leader(*context_for(secret, "algo-2"), *context_for(secret, "algo-1"),
                                      *context_for(guess, "algo-9"));
}

// Handshakes are served side by side, each with its own limit: connections
// that stay silent (a scanner, a stranger) do not hold up the leader's. One
// at a time, five of them would delay it by five handshake limits (25 s).
TEST(ControlChannel, SilentConnectionsDoNotHoldUpTheLeader) {
  TlsContext worker_tls = job_secret_context("algo-2"), leader_tls = job_secret_context("algo-1");
  const Endpoint bound = free_local_endpoint();
  WorkerChannel worker(bound);
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::seconds(60);
  std::vector<Socket> silent;
  for (int i = 0; i < 5; ++i) silent.push_back(connect_to({"127.0.0.1", bound.port}, deadline));
  std::thread leader_side([&] {
    LeaderChannel leader;
    leader.connect({{"algo-2", {"127.0.0.1", bound.port}}}, deadline, &leader_tls);
    leader.announce({0, ""});
  });
  const JobOutcome outcome = worker.await_outcome(deadline, "algo-1", &worker_tls);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  leader_side.join();
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_LT(took, std::chrono::duration<double>(ControlHandshakes::kHandshakeLimit).count())
      << "the leader waited behind the silent connections";
}

// With credentials too, a connection from another address than the
// leader's (once known) gets no handshake: even the right secret from there
// is not heard.
TEST(ControlChannel, OnlyTheLeadersAddressGetsAHandshake) {
  TlsContext worker_tls = job_secret_context("algo-2"), leader_tls = job_secret_context("algo-1");
  const Endpoint bound = free_local_endpoint();
  WorkerChannel worker(bound);
  worker.set_leader_address("127.0.0.2");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  std::thread elsewhere([&] {
    try {
      LeaderChannel from_127_0_0_1;
      from_127_0_0_1.connect({{"algo-2", {"127.0.0.1", bound.port}}}, deadline, &leader_tls);
      from_127_0_0_1.announce({0, "from the wrong address"});
    } catch (const Error&) {
    }
  });
  EXPECT_THAT([&] { worker.await_outcome(deadline, "algo-1", &worker_tls); },
              ThrowsMessage<TimeoutError>(HasSubstr("never connected")));
  elsewhere.join();
}

// Without a certificate channel a worker hears only the leader's address: a
// stranger elsewhere that sends a key and "RSIMEXIT 0" first is refused,
// installs nothing, and the real outcome still arrives. (Here every party
// is on loopback, so the stranger is told apart by the leader address the
// worker expects: 127.0.0.2.)
TEST(ControlChannel, WithoutCertificatesOnlyTheLeadersAddressIsHeard) {
  Endpoint bound;
  { Socket probe = listen_on({"0.0.0.0", 0}, bound); }
  WorkerChannel worker({"0.0.0.0", bound.port});
  worker.set_leader_address("127.0.0.2");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  const ScratchDir scratch("keys");
  const auto keys = scratch.path() / "authorized_keys";
  std::thread parties([&] {
    {
      Socket stranger = connect_to({"127.0.0.1", bound.port}, deadline);
      const std::string lines =
          "RSIMKEY ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl evil\n"
          "RSIMEXIT 0 all fine\n";
      write_exact(stranger.fd(), {reinterpret_cast<const std::byte*>(lines.data()), lines.size()}, deadline, "x");
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    // The leader, from its own address.
    Socket leader(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, "127.0.0.2", &from.sin_addr);
    ASSERT_EQ(::bind(leader.fd(), reinterpret_cast<sockaddr*>(&from), sizeof from), 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(bound.port));
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    ASSERT_EQ(::connect(leader.fd(), reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
    const std::string outcome = "RSIMEXIT 9 the real outcome\n";
    write_exact(leader.fd(), {reinterpret_cast<const std::byte*>(outcome.data()), outcome.size()}, deadline, "x");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  });
  const JobOutcome outcome = worker.await_outcome(deadline, "algo-1", nullptr, keys.string());
  parties.join();
  EXPECT_EQ(outcome.exit_code, 9);
  EXPECT_EQ(outcome.reason, "the real outcome");
  EXPECT_FALSE(std::filesystem::exists(keys)) << "the stranger's key was installed";
}

namespace {

// A certificate for the leader's host, signed by a CA the job does not
// trust whose name holds a forged error line.
constexpr const char* kForgedIssuer = "other CA\nringsim: error: rank 3 on algo-1 killed by signal 9";
std::unique_ptr<TlsContext> forged_leader_context() {
  static const PemPair forged_ca = make_certificate_authority(kForgedIssuer, 1);
  const PemPair forged = make_host_certificate(forged_ca, "algo-1", {}, 1);
  return std::make_unique<TlsContext>(
      TlsCredentials{ringsim::testing::job_ca().certificate, forged.certificate, forged.private_key},
      ringsim::testing::test_cipher_suite, "openssl");
}

// A worker (algo-2) on a free port whose leader connects from 127.0.0.1, and
// a forged leader's credentials to offer it.
struct WorkerAndForgedLeader {
  std::unique_ptr<TlsContext> worker_tls =
      ringsim::testing::tls_context(ringsim::testing::host_certificate("algo-2"), "openssl");
  std::unique_ptr<TlsContext> forged_tls = forged_leader_context();
  Endpoint bound = free_local_endpoint();
  WorkerChannel worker{bound};
  WorkerAndForgedLeader() { worker.set_leader_address("127.0.0.1"); }
};

// Offers `context`'s certificate to the worker at `port` in a bare TLS
// handshake, refused (nothing else: no plaintext verdict follows, as a
// leader's would).
void offer_refused_certificate(int port, const TlsContext& context) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  try {
    BlockingTls session(connect_to({"127.0.0.1", port}, deadline), context, /*server=*/false, "algo-2", "worker",
                        deadline);
    // TLS 1.3 lets the client finish first: the refusal comes on reading.
    std::byte byte{};
    session.read_some({&byte, 1}, deadline);
  } catch (const Error&) {
  }
}

}  // namespace

// A handshake refused on a connection from the leader's address (anyone
// there can offer a certificate) is logged and dropped: the worker keeps
// listening to its own deadline, and the real leader, 16 s later, is heard.
TEST(ControlChannel, ARefusedHandshakeFromTheLeadersAddressDoesNotEndTheWait) {
  WorkerAndForgedLeader local;
  const auto leader_tls = ringsim::testing::tls_context(ringsim::testing::host_certificate("algo-1"), "openssl");
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::seconds(60);
  std::thread parties([&] {
    offer_refused_certificate(local.bound.port, *local.forged_tls);
    std::this_thread::sleep_until(start + std::chrono::seconds(16));
    LeaderChannel leader;
    leader.connect({{"algo-2", local.bound}}, deadline, leader_tls.get());
    leader.announce({5, "the real outcome"});
  });
  JobOutcome outcome{-1, ""};
  EXPECT_NO_THROW(outcome = local.worker.await_outcome(deadline, "algo-1", local.worker_tls.get()));
  parties.join();
  EXPECT_EQ(outcome.exit_code, 5);
  EXPECT_EQ(outcome.reason, "the real outcome");
}

// Without the real leader, the worker fails at its own deadline naming the
// refused attempt, and the certificate's names reach its message (the log
// line and failure file) as one printable line, quoted: the forged error
// line inside the issuer's name stays inside it.
TEST(ControlChannel, ACertificatesNamesReachTheMessageAsOneQuotedLine) {
  WorkerAndForgedLeader local;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  std::thread impostor([&] { offer_refused_certificate(local.bound.port, *local.forged_tls); });
  std::string message;
  try {
    local.worker.await_outcome(deadline, "algo-1", local.worker_tls.get());
  } catch (const TlsError& e) {
    message = e.what();
  }
  impostor.join();
  EXPECT_THAT(message, HasSubstr("the leader algo-1 never authenticated"));
  EXPECT_THAT(message, HasSubstr("refused from the leader's address: from 127.0.0.1: "));
  EXPECT_THAT(message, HasSubstr("not signed by the job CA (issued by 'other CA\\nringsim: error: rank 3 on algo-1 "
                                 "killed by signal 9')"));
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

// A worker's answer to the job's ssh key is a control line like any other:
// one that never ends is refused at kMaxControlLine bytes, not read on.
TEST(ControlChannel, TheLeaderReadsAKeyAcknowledgementOfAtMostOneControlLine) {
  Endpoint bound;
  Socket listener = listen_on({"127.0.0.1", 0}, bound);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::thread worker([&] {
    Socket connection = accept_one(listener, deadline);
    read_plain_line(connection.fd(), deadline, "the key");
    const std::string endless(64 * 1024, 'A');
    write_exact(connection.fd(), {reinterpret_cast<const std::byte*>(endless.data()), endless.size()}, deadline, "x");
    std::this_thread::sleep_for(std::chrono::seconds(2));
  });
  LeaderChannel leader;
  leader.connect({{"algo-2", {"127.0.0.1", bound.port}}}, deadline);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THAT([&] { leader.share_ssh_key("ssh-ed25519 AAAA ringsim-job", deadline); },
              ThrowsMessage<IoError>(HasSubstr("algo-2 answered the job's ssh key with a line over 4096 bytes")));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  worker.join();
}
