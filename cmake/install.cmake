# `cmake --install` (use --strip: the release binary carries its debug information) and the Debian
# package (`make package`: CPack's DEB generator). Layout, under the prefix (the package's is /usr):
#   bin/genesys-stream                                  the binary, stripped
#   lib/systemd/system/genesys-stream.service           ExecStart names <prefix>/bin
#   share/doc/genesys-stream/{*.md,sinks/,examples/}    the documentation and example configs
#   share/man/man1/genesys-stream.1.gz                  the man page
#   share/bash-completion/completions/genesys-stream    bash completion
#   share/genesys-stream/prometheus/alerts.yml          the alert rules
# and, outside the prefix, GSTREAM_CONFIG_DIR (/etc/genesys-stream): config.yaml and env, the
# package's conffiles (with DESTDIR, under it).
include(GNUInstallDirs)

set(GSTREAM_CONFIG_DIR "/etc/genesys-stream" CACHE PATH
    "Where config.yaml and env are installed (the systemd unit reads them there)")

install(TARGETS genesys-stream RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

file(GLOB _gstream_docs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
file(GLOB _gstream_sink_docs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/sinks/*.md)
file(GLOB _gstream_examples CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/examples/*.yaml)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${_gstream_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${_gstream_sink_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR}/sinks)
install(FILES ${_gstream_examples} DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

install(FILES ${PROJECT_SOURCE_DIR}/deploy/config/config.yaml DESTINATION ${GSTREAM_CONFIG_DIR})
# The OAuth client's secret: root only (systemd reads EnvironmentFile= as root).
install(FILES ${PROJECT_SOURCE_DIR}/deploy/config/env DESTINATION ${GSTREAM_CONFIG_DIR}
        PERMISSIONS OWNER_READ OWNER_WRITE)

install(FILES ${PROJECT_SOURCE_DIR}/deploy/prometheus/alerts.yml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/genesys-stream/prometheus)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/completion/genesys-stream.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME genesys-stream)

# The man page, gzipped as Debian ships them (-n: no name or time stamp, so reproducible).
set(_gstream_man ${PROJECT_BINARY_DIR}/genesys-stream.1.gz)
add_custom_command(OUTPUT ${_gstream_man}
                   COMMAND gzip -9 -n -c ${PROJECT_SOURCE_DIR}/deploy/man/genesys-stream.1 > ${_gstream_man}
                   DEPENDS ${PROJECT_SOURCE_DIR}/deploy/man/genesys-stream.1 VERBATIM)
add_custom_target(gstream_man ALL DEPENDS ${_gstream_man})
install(FILES ${_gstream_man} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# The systemd unit names /usr/bin/genesys-stream, /usr/share/doc/genesys-stream and
# /etc/genesys-stream (the package's paths);
# the install writes the prefix it installs to (known only then: `--prefix`, CPack's /usr) and
# GSTREAM_CONFIG_DIR instead.
install(CODE "
  file(READ \"${PROJECT_SOURCE_DIR}/deploy/systemd/genesys-stream.service\" _unit)
  string(REPLACE \"/usr/bin/genesys-stream\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/genesys-stream\" _unit \"\${_unit}\")
  string(REPLACE \"/etc/genesys-stream\" \"${GSTREAM_CONFIG_DIR}\" _unit \"\${_unit}\")
  string(REPLACE \"/usr/share/doc/genesys-stream\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR}\" _unit \"\${_unit}\")
  set(_dir \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
  message(STATUS \"Installing: \${_dir}/genesys-stream.service\")
  file(MAKE_DIRECTORY \"\${_dir}\")
  file(WRITE \"\${_dir}/genesys-stream.service\" \"\${_unit}\")
")

# The Debian package: genesys-stream_<version>_<arch>.deb in the build folder.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME genesys-stream)
set(CPACK_PACKAGE_VENDOR "genesys-stream")
set(CPACK_PACKAGE_CONTACT "genesys-stream maintainers <genesys-stream@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Genesys Cloud event stream consumer")
set(CPACK_PACKAGE_DESCRIPTION
    "Reads Genesys Cloud contact-center event streams (the Notifications API), validates,
de-duplicates and orders the events, and delivers them to files, HTTP, Kafka or NATS,
with a write-ahead log, a dead-letter queue and Prometheus metrics.")
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR})
# The conffiles live in /etc, outside the prefix: installed with DESTDIR into the staging root,
# which then takes CPACK_INSTALL_PREFIX (not CPACK_PACKAGING_INSTALL_PREFIX) as the prefix.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends: from the shared libraries the binary links (dpkg-shlibdeps, from dpkg-dev).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# And the CA certificates that OpenSSL verifies Genesys Cloud's TLS certificates against.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "ca-certificates")
configure_file(${PROJECT_SOURCE_DIR}/deploy/debian/conffiles.in
               ${PROJECT_BINARY_DIR}/debian/conffiles @ONLY)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/debian/conffiles
    ${PROJECT_SOURCE_DIR}/deploy/debian/postinst ${PROJECT_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
