#include "library/model_kind.h"

#include <QFileInfo>
#include <QRegularExpression>

namespace nibble::app {

bool nameSaysInstruct(const QString& name) {
    static const QRegularExpression marker(QStringLiteral("(^|[-_./ ])(instruct|it|chat)($|[-_./ ])"),
                                           QRegularExpression::CaseInsensitiveOption);
    return marker.match(name).hasMatch();
}

ModelKind modelKindOf(const QString& name, const QString& filePath, std::optional<bool> hasChatTemplate) {
    if (nameSaysInstruct(name) || nameSaysInstruct(QFileInfo(filePath).completeBaseName())) return ModelKind::Instruct;
    return hasChatTemplate == false ? ModelKind::Base : ModelKind::Unknown;
}

QString modelKindName(ModelKind kind) {
    switch (kind) {
    case ModelKind::Instruct: return QStringLiteral("instruct");
    case ModelKind::Base: return QStringLiteral("base");
    case ModelKind::Unknown: break;
    }
    return {};
}

}  // namespace nibble::app
