#pragma once
// Whether a certificate channel fits the job's hosts, checked before any
// rank starts (`ringsim launch --dry-run`): SageMaker names the instances
// algo-1 ... algo-N, and the certificates must name exactly those, which
// users otherwise learn from a failed handshake.
#include <string>
#include <vector>

namespace ringsim {

// What is wrong with the certificate channel in `dir` for `hosts`: ca.pem
// missing or unreadable; per host, HOST.pem or HOST.key missing, a
// certificate that names another host, is not signed by ca.pem, or does not
// match its key. Empty when every host has what it needs.
std::vector<std::string> certificate_channel_problems(const std::string& dir, const std::vector<std::string>& hosts);

}  // namespace ringsim
