#pragma once
// What both ends of the control channel use to judge a connection and its
// failures (control_channel.cpp).
#include <string>

namespace ringsim {

// Keepalive on a control connection, idle for the whole job: probes after
// 10 s of silence, every 5 s, 3 unanswered -> the peer is gone (~25 s).
void enable_keepalive(int fd);
// A TLS failure that trying again cannot mend: a certificate or job secret
// refused by either side, or a peer that does not speak TLS.
bool is_refusal(const std::string& what);
// The TLS layer's words for ranks ("this rank's certificate") in words for
// hosts; `self` names this host.
std::string as_host(std::string what, const std::string& self);
// The numeric IPv4 address of the peer of `fd`, or "".
std::string peer_address(int fd);

}  // namespace ringsim
