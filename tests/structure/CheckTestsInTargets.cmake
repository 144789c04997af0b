# rcuwatch_check_tests_in_targets(TESTS_DIR): fails the configure step when a
# tests/**/*_test.cpp is named in no CMakeLists.txt under TESTS_DIR (a test
# left out of every target would silently never run). Run after every
# add_subdirectory of TESTS_DIR.
function(rcuwatch_check_tests_in_targets tests_dir)
  file(GLOB_RECURSE test_sources RELATIVE ${tests_dir} ${tests_dir}/*_test.cpp)
  file(GLOB_RECURSE lists ${tests_dir}/CMakeLists.txt)
  set(all_lists "")
  foreach(list_file ${lists})
    file(READ ${list_file} text)
    string(APPEND all_lists "${text}\n")
  endforeach()
  set(missing "")
  foreach(src ${test_sources})
    get_filename_component(name ${src} NAME)
    string(FIND "${all_lists}" "${name}" at)
    if(at EQUAL -1)
      list(APPEND missing tests/${src})
    endif()
  endforeach()
  if(missing)
    list(JOIN missing ", " missing_text)
    message(FATAL_ERROR "test sources in no CMake target (they would never run): ${missing_text}")
  endif()
  # Re-run this check when a test file appears or goes.
  set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${tests_dir})
endfunction()
