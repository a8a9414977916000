# Sourced by the benchmarks that model what TLS costs (bench-overhead.sh,
# bench-tls-cpu.sh): how fast one core of this CPU seals TLS records.
# seal_rate SECONDS [NAME=VALUE]...: GB/s of AES-128-GCM on 16 KiB records
# (TLS's largest), as `openssl speed` measures it in SECONDS under that
# environment.
seal_rate() {
  local seconds=$1
  shift
  env "$@" openssl speed -evp aes-128-gcm -bytes 16384 -seconds "$seconds" 2>/dev/null |
    awk '/^AES-128-GCM/ {sub("k", "", $2); printf "%.3f", $2 * 1000 / 1e9}'
}
# The environment that hides VAES and VPCLMULQDQ from OpenSSL (CPUID leaf 7
# ECX bits 9 and 10), as on CPUs without them (c5 and most other instance
# types): the rate such a host would seal at.
no_vaes=OPENSSL_ia32cap=':~0x60000000000'
