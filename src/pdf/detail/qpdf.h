// The qpdf headers hpki uses, included only through this file (src/pdf/ and its tests).
//
// qpdf 11's JSON.hh does not compile with clang 16 and libstdc++ 12 in C++20 and later: a
// std::vector<JSON> member of a class nested in JSON has its (constexpr) destructor
// instantiated while JSON is still incomplete, and `make fuzz` builds everything with clang 16.
// hpki never uses qpdf's JSON, so its header is kept out (its include guard defined) and JSON
// stays a declared, incomplete class: QPDFObjectHandle.hh only names it in declarations.
#pragma once

#ifndef JSON_HH
#define JSON_HH
class JSON;
#endif

#include <qpdf/QPDF.hh>
#include <qpdf/QPDFExc.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFPageObjectHelper.hh>
#include <qpdf/QPDFXRefEntry.hh>
