# CPACK_PRE_BUILD_SCRIPTS: runs on CPack's staging tree of the Debian
# package, after the install, before the archive is made. What only the
# package wants (not `cmake --install`):
# - binaries without their .comment and .note sections, as dh_strip leaves
#   them (lintian: binary-has-unneeded-section);
# - the lintian overrides, where lintian reads them.
set(root "${CPACK_TEMPORARY_INSTALL_DIRECTORY}")
file(GLOB binaries "${root}/usr/sbin/*")
foreach(binary IN LISTS binaries)
  execute_process(COMMAND strip --remove-section=.comment --remove-section=.note ${binary}
    RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "strip failed on ${binary}")
  endif()
endforeach()
file(MAKE_DIRECTORY "${root}/usr/share/lintian/overrides")
file(COPY_FILE "${CPACK_RCUWATCH_PACKAGING_DIR}/lintian-overrides"
  "${root}/usr/share/lintian/overrides/rcuwatch")
