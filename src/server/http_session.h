#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "server/server_context.h"

namespace mlserving::server {

/// Serves HTTP/1.1 with keep-alive on `socket` (whose executor must be a strand) until the peer
/// closes, a read times out, an unrecoverable error or shutdown. Requests that evaluate the
/// model run on `context.workers`; everything else runs on the I/O thread. Nothing a client
/// sends can make it throw: malformed requests are answered 400/413/431 and the connection is
/// closed. `context` must outlive the session.
void StartSession(boost::asio::ip::tcp::socket socket, ServerContext& context);

}  // namespace mlserving::server
