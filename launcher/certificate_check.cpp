#include "launcher/certificate_check.hpp"

#include <openssl/x509v3.h>

#include <filesystem>

#include "common/errors.hpp"
#include "net/certificates.hpp"

namespace ringsim {

namespace fs = std::filesystem;

namespace {

// What is wrong with `host`'s pair, or "".
std::string host_problem(const std::string& dir, const std::string& host, X509* ca) {
  const std::string certificate_path = dir + "/" + host + ".pem", key_path = dir + "/" + host + ".key";
  const bool has_certificate = fs::exists(certificate_path), has_key = fs::exists(key_path);
  if (!has_certificate || !has_key)
    return host + ": no " +
           (has_certificate ? host + ".key"
            : has_key       ? host + ".pem"
                            : host + ".pem, no " + host + ".key");
  try {
    const X509Ptr certificate =
        parse_certificate(read_text_file(certificate_path, host + "'s certificate"), certificate_path);
    const KeyPtr key = parse_private_key(read_text_file(key_path, host + "'s key"), key_path);
    if (X509_check_host(certificate.get(), host.data(), host.size(), 0, nullptr) != 1)
      return host + ": " + host + ".pem does not name " + host;
    if (ca && X509_verify(certificate.get(), X509_get0_pubkey(ca)) != 1)
      return host + ": " + host + ".pem is not signed by the channel's ca.pem";
    if (X509_check_private_key(certificate.get(), key.get()) != 1)
      return host + ": " + host + ".key is not the key of " + host + ".pem";
  } catch (const Error& e) {
    return host + ": " + e.what();
  }
  return "";
}

}  // namespace

std::vector<std::string> certificate_channel_problems(const std::string& dir, const std::vector<std::string>& hosts) {
  std::vector<std::string> problems;
  X509Ptr ca;
  try {
    ca = parse_certificate(read_text_file(dir + "/ca.pem", "the certificate channel's ca.pem"), dir + "/ca.pem");
  } catch (const Error& e) {
    problems.push_back(std::string("ca.pem: ") + e.what());
  }
  for (const auto& host : hosts)
    if (std::string problem = host_problem(dir, host, ca.get()); !problem.empty()) problems.push_back(problem);
  return problems;
}

}  // namespace ringsim
