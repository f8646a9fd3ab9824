# Included from the top-level CMakeLists.txt after stickgen_core is defined: embeds the HTML player
# (web/player.html) into libstickgen so an installed binary writes self-contained pages.
set(STICKGEN_PLAYER_INC ${CMAKE_CURRENT_BINARY_DIR}/generated/stickgen/player_html.inc)
add_custom_command(
  OUTPUT ${STICKGEN_PLAYER_INC}
  COMMAND ${CMAKE_COMMAND} -DIN=${CMAKE_CURRENT_SOURCE_DIR}/web/player.html -DOUT=${STICKGEN_PLAYER_INC}
          -DNAME=kPlayerHtml -P ${CMAKE_CURRENT_SOURCE_DIR}/src/render/embed_file.cmake
  DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/web/player.html ${CMAKE_CURRENT_SOURCE_DIR}/src/render/embed_file.cmake
  COMMENT "Embedding web/player.html"
  VERBATIM)
target_sources(stickgen_core PRIVATE ${STICKGEN_PLAYER_INC})
target_include_directories(stickgen_core PRIVATE ${CMAKE_CURRENT_BINARY_DIR}/generated)
