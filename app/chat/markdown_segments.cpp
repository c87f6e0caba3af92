#include "chat/markdown_segments.h"

#include <QStringList>
#include <QVariantMap>

namespace nibble::app {

QVariantList markdownSegments(const QString& markdown) {
    QVariantList segments;
    QStringList block;
    QString fence;  // the opening fence while inside a code block
    QString language;
    const auto flush = [&](const char* kind) {
        QString text = block.join('\n');
        if (QStringLiteral("text") == kind) text = text.trimmed();
        if (!text.isEmpty() || QStringLiteral("code") == kind)
            segments.append(QVariantMap{{"kind", kind}, {"text", text}, {"language", language}});
        block.clear();
    };
    for (const QString& line : markdown.split('\n')) {
        const QString trimmed = line.trimmed();
        if (fence.isEmpty() && (trimmed.startsWith("```") || trimmed.startsWith("~~~"))) {
            flush("text");
            fence = trimmed.left(3);
            language = trimmed.mid(3).trimmed();
        } else if (!fence.isEmpty() && trimmed.startsWith(fence) && trimmed.mid(3).trimmed().isEmpty()) {
            flush("code");
            fence.clear();
            language.clear();
        } else {
            block.append(line);
        }
    }
    flush(fence.isEmpty() ? "text" : "code");
    return segments;
}

}  // namespace nibble::app
