#pragma once
// One sentence that says how a variant compares with a reference, for people
// who do not read KL divergences: "4-bit answers like 8-bit on 97% of tokens
// and is 1.8x faster".
#include <QString>

namespace nibble::app {

// The names the sentence uses: the bit widths ("4-bit", "8-bit"), or the
// precisions when both have the same width.
QString verdictName(const QString& precision, const QString& otherPrecision);

QString qualityVerdict(const QString& variantName, const QString& referenceName, double sameTopPercent,
                       double variantTokensPerSecond, double referenceTokensPerSecond);

}  // namespace nibble::app
