// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "alertllm/transport.hpp"

namespace alertllm {

/// Settings of the libcurl transport that do not change from one request to the next.
struct CurlTransportOptions {
  /// Verify the server's certificate chain and host name (CURLOPT_SSL_VERIFYPEER/HOST).
  /// Turn off only for tests against self-signed servers.
  bool tls_verify = true;
  /// A PEM bundle of trusted CAs (CURLOPT_CAINFO); empty means libcurl's default bundle.
  std::string ca_file;
  /// How many idle easy handles (each with its own keep-alive connections) the transport keeps
  /// between Send() calls. Handles beyond this are closed when their Send() ends; 0 disables
  /// connection reuse.
  std::size_t max_idle_handles = 16;
  /// Sent as User-Agent unless the request carries its own; empty sends no User-Agent.
  std::string user_agent;
};

/// A Transport over libcurl, with the contract documented on Transport::Send().
///
/// Requests are GET or POST to http:// or https:// URLs only; redirects are not followed (a 3xx
/// is a response like any other). Easy handles are pooled, so sequential requests to the same
/// server reuse one keep-alive connection; DNS results and TLS sessions are shared between all
/// handles of one transport. Cancellation wakes the transfer loop at once: Send() returns
/// kCancelled within a few milliseconds of `stop` being requested.
///
/// Calls curl_global_init() once per process, on first use; if that fails, every Send() returns
/// kUnknown. Never returns nullptr; never throws from Send().
///
/// Thread-safe: one transport may serve Send() calls from any number of threads.
std::unique_ptr<Transport> MakeCurlTransport(CurlTransportOptions options = {});

}  // namespace alertllm
