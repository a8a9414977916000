// `ringsim certs` (net/certificates.hpp): a job's certificates are
// short-lived by default and their CA is made for, and named after, one job.
#include <gtest/gtest.h>
#include <openssl/x509.h>

#include <ctime>
#include <filesystem>
#include <string>

#include "common/errors.hpp"
#include "net/certificates.hpp"
#include "net/openssl_util.hpp"

namespace ringsim {
namespace {

// Seconds from now until `certificate` expires.
long seconds_left(X509* certificate) {
  int days = 0, seconds = 0;
  EXPECT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(certificate)), 1);
  return days * 86400L + seconds;
}

std::string common_name(X509_NAME* name) {
  char text[256] = "";
  X509_NAME_get_text_by_NID(name, NID_commonName, text, sizeof text);
  return text;
}

TEST(JobCertificates, NamedForTheJobAndValidForTheDaysAsked) {
  const auto dir = std::filesystem::temp_directory_path() / ("ringsim-certs-" + std::to_string(::getpid()));
  EXPECT_EQ(write_job_certificates(dir.string(), {"algo-1", "algo-2"}, 3, "", "exp-42"), "exp-42");
  const X509Ptr ca = parse_certificate(read_text_file((dir / "ca.pem").string(), "ca"), "ca");
  const X509Ptr host = parse_certificate(read_text_file((dir / "algo-2.pem").string(), "host"), "host");
  EXPECT_EQ(common_name(X509_get_subject_name(ca.get())), "ringsim job CA exp-42");
  EXPECT_EQ(common_name(X509_get_issuer_name(host.get())), "ringsim job CA exp-42");
  EXPECT_NEAR(seconds_left(host.get()), 3 * 86400L, 120);
  EXPECT_FALSE(std::filesystem::exists(dir / "ca.key")) << "the CA key stays out of the channel";
  // Without a name, each call makes a CA of its own, named at random.
  const std::string first = write_job_certificates(dir.string(), {"algo-1"}, 1, "");
  const std::string second = write_job_certificates(dir.string(), {"algo-1"}, 1, "");
  EXPECT_EQ(first.rfind("job-", 0), 0u) << first;
  EXPECT_NE(first, second);
  EXPECT_THROW(write_job_certificates(dir.string(), {"algo-1"}, 1, "", "a/b"), InputError);
  EXPECT_THROW(write_job_certificates(dir.string(), {"algo-1"}, 0, ""), InputError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ringsim
