// An independent loopback TCP ping-pong (two processes, blocking sockets,
// nothing from ringsim), the baseline `ringsim bench transport`'s tcp and
// tls figures are checked against. Same socket options as ringsim
// (TCP_NODELAY, 4 MiB buffers).
// Usage: plain_tcp_pingpong SIZE...   prints "bytes median_us MB/s"
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

void tune(int fd) {
  int one = 1, bytes = 4 << 20;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
}

void send_all(int fd, const char* data, long size) {
  for (long done = 0; done < size;) {
    const ssize_t n = send(fd, data + done, static_cast<size_t>(size - done), MSG_NOSIGNAL);
    if (n <= 0) std::exit(1);
    done += n;
  }
}

void receive_all(int fd, char* data, long size) {
  for (long done = 0; done < size;) {
    const ssize_t n = recv(fd, data + done, static_cast<size_t>(size - done), 0);
    if (n <= 0) std::exit(1);
    done += n;
  }
}

int reps_for(long bytes) { return static_cast<int>(std::clamp(5e8 / static_cast<double>(bytes), 5.0, 1000.0)); }

}  // namespace

int main(int argc, char** argv) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    return 1;
  const pid_t child = fork();
  if (child == 0) {  // the echoing side
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    tune(fd);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) _exit(1);
    for (int a = 1; a < argc; ++a) {
      const long bytes = std::atol(argv[a]);
      std::vector<char> buffer(static_cast<size_t>(bytes), 1);
      const int reps = reps_for(bytes);
      for (int r = 0; r < reps + reps / 10 + 2; ++r) {
        receive_all(fd, buffer.data(), bytes);
        send_all(fd, buffer.data(), bytes);
      }
    }
    _exit(0);
  }
  const int fd = accept(listener, nullptr, nullptr);
  tune(fd);
  for (int a = 1; a < argc; ++a) {
    const long bytes = std::atol(argv[a]);
    std::vector<char> buffer(static_cast<size_t>(bytes), 1);
    const int reps = reps_for(bytes);
    std::vector<double> one_way;
    for (int r = 0; r < reps + reps / 10 + 2; ++r) {
      const auto start = std::chrono::steady_clock::now();
      send_all(fd, buffer.data(), bytes);
      receive_all(fd, buffer.data(), bytes);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (r >= reps / 10 + 2) one_way.push_back(seconds / 2);
    }
    std::sort(one_way.begin(), one_way.end());
    const double median = one_way[one_way.size() / 2];
    std::printf("%ld %.3f %.1f\n", bytes, median * 1e6, bytes / median / 1e6);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
