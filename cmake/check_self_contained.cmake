# CTest check vectors.self_contained: the build and the tests read nothing outside the
# repository (issue 16 item 10). The third-party suites are in tests/vectors/ (see its README);
# a file under CMakeLists.txt, CMakePresets.json, Makefile, cmake/, tests/, fuzz/, bench/,
# scripts/ or .ci/ that names the old out-of-tree test data directory (the parent directory's
# "shared" folder, its testdata/ folder, or the CMake variable that pointed there) fails.
# Run as: cmake -DSRC=<repo> -P check_self_contained.cmake
#
# The patterns are spelled so that this file does not match them itself.
cmake_minimum_required(VERSION 3.25)
set(patterns
    "\\.\\./shared"        # a relative path to the sibling folder
    "shared/test[d]ata"    # its test data, by any path
    "HPKI_SHARED_[D]IR")   # the CMake variable / compile definition that pointed there
list(JOIN patterns "|" regex)

set(files "")
foreach(top CMakeLists.txt CMakePresets.json Makefile)
  if(EXISTS ${SRC}/${top})
    list(APPEND files ${SRC}/${top})
  endif()
endforeach()
foreach(dir cmake tests fuzz bench scripts .ci)
  if(IS_DIRECTORY ${SRC}/${dir})
    file(GLOB_RECURSE found ${SRC}/${dir}/*)
    list(APPEND files ${found})
  endif()
endforeach()

set(violations "")
foreach(f IN LISTS files)
  file(RELATIVE_PATH rel ${SRC} ${f})
  # file(STRINGS) reads the printable runs of binary files (DER) too.
  file(STRINGS ${f} hits REGEX "${regex}")
  foreach(hit IN LISTS hits)
    string(STRIP "${hit}" hit)
    if(hit)
      list(APPEND violations "${rel}: ${hit}")
    endif()
  endforeach()
endforeach()
if(violations)
  list(JOIN violations "\n  " text)
  message(FATAL_ERROR "files that read test data outside the repository (copy it into "
                      "tests/vectors/ and read it through HPKI_SOURCE_DIR):\n  ${text}")
endif()
list(LENGTH files n)
message(STATUS "self-contained OK (${n} files checked)")
