# CTest check arch.openssl_only_in_ossl: only src/ossl/ may include <openssl/...>
# (STYLE.md "Modules"). Run as: cmake -DSRC=<repo> -P check_openssl_includes.cmake
#
# Boost.Asio's SSL headers (<boost/asio/ssl...>, <boost/beast/ssl...>) include OpenSSL
# headers themselves, so they count as OpenSSL includes too. One documented exception
# (docs/architecture.md "HTTP server"): src/http/detail/tls_*.{h,cpp} may include the Asio
# SSL headers, because the TLS stream type must be visible to the HTTP session code. Those
# files make no OpenSSL call: the SSL_CTX is built by src/ossl/tls.cpp and handed over as an
# opaque handle, and the peer chain is read back through src/ossl/tls.h.
set(asio_ssl_allowed "^src/http/detail/tls_[a-z0-9_]+\\.(h|cpp)$")
set(violations "")
file(GLOB_RECURSE files ${SRC}/src/*.h ${SRC}/src/*.hpp ${SRC}/src/*.cpp ${SRC}/src/*.cc)
foreach(f IN LISTS files)
  file(RELATIVE_PATH rel ${SRC} ${f})
  if(rel MATCHES "^src/ossl/")
    continue()
  endif()
  file(STRINGS ${f} hits REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]openssl/")
  if(hits)
    list(APPEND violations "${rel}: ${hits}")
  endif()
  if(NOT rel MATCHES "${asio_ssl_allowed}")
    file(STRINGS ${f} ssl_hits REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]boost/(asio|beast)/ssl")
    if(ssl_hits)
      list(APPEND violations "${rel}: ${ssl_hits} (Asio SSL headers include OpenSSL)")
    endif()
  endif()
endforeach()
if(violations)
  list(JOIN violations "\n  " text)
  message(FATAL_ERROR "OpenSSL headers included outside src/ossl/:\n  ${text}")
endif()
list(LENGTH files n)
message(STATUS "OpenSSL includes OK (${n} files checked)")
