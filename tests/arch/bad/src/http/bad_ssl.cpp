// Fixture: Asio SSL headers outside the allow-list count as OpenSSL includes.
#include <boost/asio/ssl.hpp>
