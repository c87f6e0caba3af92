#include "quality/quality_verdict.h"

#include "library/model_registration.h"

#include <QCoreApplication>

#include <algorithm>
#include <cmath>

namespace nibble::app {

QString verdictName(const QString& precision, const QString& otherPrecision) {
    const QString bits = precisionBits(precision);
    return bits.isEmpty() || bits == precisionBits(otherPrecision) ? precision : bits;
}

QString qualityVerdict(const QString& variantName, const QString& referenceName, double sameTopPercent,
                       double variantTokensPerSecond, double referenceTokensPerSecond) {
    const auto tr = [](const char* text) { return QCoreApplication::translate("QualityVerdict", text); };
    // As the figures round it, except that 99.6% agreement is not "100%".
    const double shown = sameTopPercent < 100.0 ? std::min(std::round(sameTopPercent), 99.0) : 100.0;
    QString sentence = tr("%1 answers like %2 on %3% of tokens").arg(variantName, referenceName).arg(shown, 0, 'f', 0);
    if (variantTokensPerSecond <= 0 || referenceTokensPerSecond <= 0) return sentence;
    const double ratio = variantTokensPerSecond / referenceTokensPerSecond;
    // Timings on a busy computer wobble by a few percent.
    if (ratio >= 1.05)
        sentence += tr(" and is %1x faster").arg(ratio, 0, 'f', 1);
    else if (ratio <= 1 / 1.05)
        sentence += tr(" and is %1x slower").arg(1 / ratio, 0, 'f', 1);
    else
        sentence += tr(" at about the same speed");
    return sentence;
}

}  // namespace nibble::app
