// Output dispatch by file extension.
#include "stickgen/common.hpp"
#include "stickgen/motion_file.hpp"
#include "stickgen/render.hpp"

namespace stickgen {

void render_to_file(const Clip& clip, const std::filesystem::path& path, const RenderOptions& opts) {
  const auto format = output_format_for(path);
  if (!format) {
    const std::string ext = path.extension().string();
    throw Error("-o " + path.string() + ": unknown output extension " + (ext.empty() ? "(none)" : "'" + ext + "'") +
                " (expected " + std::string(output_extensions()) + ")");
  }
  if (opts.sheet && *format != OutputFormat::png)
    throw Error("--sheet: contact sheets are written as PNG, not " + path.filename().string());
  check_render_options(clip, opts);
  switch (*format) {
    case OutputFormat::gif: return render_gif(clip, path, opts);
    case OutputFormat::mp4: return render_mp4(clip, path, opts);
    case OutputFormat::png: return render_png(clip, path, opts);
    case OutputFormat::svg: return render_svg(clip, path, opts);
    case OutputFormat::html: return render_html(clip, path, opts);
    case OutputFormat::motion: return write_motion_file(path, clip);
  }
}

}  // namespace stickgen
