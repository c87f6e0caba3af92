#pragma once
// Splits a reply into prose and fenced code blocks, so the chat view can
// render prose as Markdown and give each code block its own frame and copy
// button. A fence still open (a reply mid-stream) runs to the end.
#include <QString>
#include <QVariantList>

namespace nibble::app {

// A list of {kind: "text" | "code", text, language} maps.
QVariantList markdownSegments(const QString& markdown);

}  // namespace nibble::app
