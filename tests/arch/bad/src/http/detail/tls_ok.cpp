// Fixture: the documented exception (src/http/detail/tls_*) is not reported.
#include <boost/asio/ssl/stream.hpp>
