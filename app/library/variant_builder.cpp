#include "library/variant_builder.h"

#include "shell/file_hash.h"
#include "library/model_registration.h"
#include "chat/saved_chat_text.h"
#include "storage/model_store.h"
#include "storage/storage_error.h"
#include "storage/variant_store.h"
#include "library/variant_list_model.h"

#include <nibble/quantize.h>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLocale>
#include <QRegularExpression>

#include <atomic>

namespace nibble::app {

namespace {

struct Recipe {
    const char* key;
    const char* precision;  // as the library lists it
    const char* quantizer;  // the engine's recipe
    bool calibrate;
    bool compensate;        // error compensation (GPTQ): needs calibration, takes longer
    const char* label;      // for the dialog (translated in VariantBuilder's context)
    const char* detail;
};

// Q4_K_M with importance or error compensation is still Q4_K_M to other
// tools; the suffix keeps it apart from the plain one in the library and the
// precision dropdown.
constexpr Recipe kRecipes[] = {
    {"Q8_0", "Q8_0", "Q8_0", false, false, QT_TRANSLATE_NOOP("nibble::app::VariantBuilder", "8-bit (Q8_0)"),
     QT_TRANSLATE_NOOP("nibble::app::VariantBuilder",
                       "About half the size of 16-bit; answers almost exactly like the original.")},
    {"Q4_K_M", "Q4_K_M", "Q4_K_M", false, false, QT_TRANSLATE_NOOP("nibble::app::VariantBuilder", "4-bit (Q4_K_M)"),
     QT_TRANSLATE_NOOP("nibble::app::VariantBuilder",
                       "About a quarter of 16-bit and the fastest; answers differ a little more.")},
    {"Q4_K_M-imat", "Q4_K_M-imat", "Q4_K_M", true, false,
     QT_TRANSLATE_NOOP("nibble::app::VariantBuilder", "4-bit, importance-aware (Q4_K_M)"),
     QT_TRANSLATE_NOOP("nibble::app::VariantBuilder",
                       "4-bit that keeps the weights your kind of text relies on most precise. Takes longer to make.")},
    {"Q4_K_M-comp", "Q4_K_M-comp", "Q4_K_M", true, true,
     QT_TRANSLATE_NOOP("nibble::app::VariantBuilder", "4-bit, error-compensated (Q4_K_M)"),
     QT_TRANSLATE_NOOP("nibble::app::VariantBuilder",
                       "Same size as the 4-bit (Q4_K_M) and usually answers closer to the original: each weight's "
                       "rounding error is made up for by the weights not yet rounded, as measured on sample text. "
                       "Takes much longer to make and needs more memory while it runs.")},
    {"IQ4_XS", "IQ4_XS", "IQ4_XS", false, false, QT_TRANSLATE_NOOP("nibble::app::VariantBuilder", "4-bit, smaller (IQ4_XS)"),
     QT_TRANSLATE_NOOP("nibble::app::VariantBuilder",
                       "About 10 % smaller than Q4_K_M: its 16 levels follow how weights are spread instead of "
                       "being evenly spaced, so it usually answers about as closely.")},
};

const Recipe* findRecipe(const QString& key) {
    for (const Recipe& recipe : kRecipes)
        if (key == QLatin1String(recipe.key)) return &recipe;
    return nullptr;
}

enum class Phase { Calibrating, Quantizing, Checking };

}  // namespace

// One variant being made: what the worker needs, its progress (read by the
// UI thread while it runs) and its outcome (read once it has finished).
struct BuildJob : JobControl {
    qint64 sourceId = 0;
    qint64 modelId = 0;
    QString recipeKey;
    QString precision;
    std::string quantizer;
    bool calibrate = false;
    bool compensate = false;
    std::string calibrationText;
    QString sourcePath;
    QString outputPath;
    QString label;

    std::atomic<Phase> phase{Phase::Quantizing};

    QStringList warnings;
    QString sha256;
    double seconds = 0;
};

namespace {

// Runs on a pool thread.
void build(BuildJob& job) {
    QElapsedTimer clock;
    clock.start();
    runCatchingErrors(job, [&job] {
        QuantizeOptions options;
        options.recipe = job.quantizer;
        options.calibrate = job.calibrate;
        options.compensate = job.compensate;
        options.calibrationText = job.calibrationText;
        // The quantizer gives calibration the first fifth of its progress.
        options.progress = [&job](float fraction) {
            job.phase = job.calibrate && fraction < 0.2f ? Phase::Calibrating : Phase::Quantizing;
            job.progress = fraction;
            return !job.cancel.load();
        };
        const QuantizeResult result =
            quantizeModel(job.sourcePath.toStdString(), job.outputPath.toStdString(), options);
        for (const std::string& warning : result.warnings) {
            QString text = QString::fromStdString(warning);
            if (!text.isEmpty()) text[0] = text[0].toUpper();
            job.warnings.append(text + '.');
        }
        job.phase = Phase::Checking;
        if (const auto sha = fileSha256(job.outputPath, job.cancel))
            job.sha256 = *sha;
        else
            job.cancelled = true;
    });
    if (job.cancelled || !job.error.isEmpty()) QFile::remove(job.outputPath);
    job.seconds = double(clock.elapsed()) / 1000.0;
}

}  // namespace

VariantBuilder::VariantBuilder(const storage::Database& db, VariantListModel& variants, QString modelsFolder,
                               EngineArbiter& arbiter, QObject* parent)
    : QObject(parent), db_(db), variants_(variants), modelsFolder_(std::move(modelsFolder)), task_(arbiter) {
    connect(&task_, &LeasedTask::progressChanged, this, &VariantBuilder::progressChanged);
    connect(&task_, &LeasedTask::waitingChanged, this, &VariantBuilder::progressChanged);
    connect(&task_, &LeasedTask::finished, this, &VariantBuilder::onJobFinished);
}

VariantBuilder::~VariantBuilder() = default;

QString VariantBuilder::label() const { return job_ ? job_->label : QString(); }

qint64 VariantBuilder::sourceVariantId() const { return job_ ? job_->sourceId : 0; }

QString VariantBuilder::phase() const {
    if (!job_) return {};
    if (task_.waiting()) return task_.waitingReason();
    switch (job_->phase.load()) {
    case Phase::Calibrating: return tr("Measuring which weights matter");
    case Phase::Quantizing: return tr("Quantizing");
    case Phase::Checking: return tr("Checking the new file");
    }
    return {};
}

QVariantList VariantBuilder::recipes() const {
    QVariantList list;
    for (const Recipe& recipe : kRecipes)
        list.append(QVariantMap{{"key", QString::fromLatin1(recipe.key)},
                                {"label", tr(recipe.label)},
                                {"detail", tr(recipe.detail)}});
    return list;
}

QString VariantBuilder::refusal(qint64 sourceVariantId, const QString& recipeKey) const {
    const Recipe* recipe = findRecipe(recipeKey);
    const auto source = variants_.variant(sourceVariantId);
    if (!recipe || !recipe->compensate || !source) return {};
    uint64_t bytes = 0;
    try {
        bytes = compensationStatisticsBytes(source->filePath.toStdString());
    } catch (const Error&) {
        // A file that cannot be read is told when making it starts, with the reader's reason.
        return {};
    }
    if (bytes <= kCompensationStatisticsLimit) return {};
    return tr("%1 is too large to be made error-compensated: it would need %2 of memory for its statistics, "
              "and Nibble allows %3. The importance-aware 4-bit makes a file of the same size.")
        .arg(variants_.labelOf(source->id), fileSizeText(qint64(bytes)),
             fileSizeText(qint64(kCompensationStatisticsLimit)));
}

QVariantMap VariantBuilder::calibrationSource() const {
    try {
        const CalibrationText chats = calibrationTextFromChats(db_);
        const bool own = !chats.text.empty();
        const QString text =
            own ? (chats.conversations == 1 ? tr("Calibrated on the text of your saved conversation.")
                                            : tr("Calibrated on the text of your %1 saved conversations.").arg(chats.conversations))
                : tr("Calibrated on Nibble's built-in sample text: your saved chats hold too little text yet "
                     "(%1 of %2 characters).")
                      .arg(QLocale().toString(chats.characters), QLocale().toString(kEnoughCalibrationCharacters));
        return {{"ownChats", own}, {"conversations", chats.conversations}, {"text", text}};
    } catch (const storage::StorageError& e) {
        return {{"ownChats", false}, {"conversations", 0}, {"text", e.message()}};
    }
}

QString VariantBuilder::outputPathFor(const QString& sourcePath, const QString& precision) const {
    // "SmolLM2-135M-Instruct.Q4_1.gguf" -> "SmolLM2-135M-Instruct.Q8_0.gguf", so the
    // file reads as a precision of the same model wherever it is copied to.
    static const QRegularExpression precisionSuffix(QStringLiteral("[.\\-_](I?Q\\d[\\w\\-]*|B?F16|F32)$"),
                                                    QRegularExpression::CaseInsensitiveOption);
    QString stem = QFileInfo(sourcePath).completeBaseName();
    stem.remove(precisionSuffix);
    return QDir(modelsFolder_).filePath(stem + '.' + precision + ".gguf");
}

bool VariantBuilder::create(qint64 sourceVariantId, const QString& recipeKey) {
    const Recipe* recipe = findRecipe(recipeKey);
    const auto source = variants_.variant(sourceVariantId);
    if (running()) {
        setMessage(tr("%1 is still being made; wait for it or cancel it first.").arg(label()));
        return false;
    }
    if (!recipe || !source) {
        setMessage(tr("That variant cannot be made."));
        return false;
    }
    if (!QFileInfo(source->filePath).isFile()) {
        setMessage(tr("The file of %1 is missing, so nothing can be made from it.").arg(variants_.labelOf(source->id)));
        return false;
    }
    if (source->precision == QLatin1String(recipe->precision)) {
        setMessage(tr("%1 is already in that precision.").arg(variants_.labelOf(source->id)));
        return false;
    }
    if (const QString refused = refusal(source->id, recipeKey); !refused.isEmpty()) {
        setMessage(refused);
        return false;
    }
    const QString output = outputPathFor(source->filePath, recipe->precision);
    try {
        if (const auto existing = storage::VariantStore(db_).findByPath(QFileInfo(output).absoluteFilePath())) {
            setMessage(tr("%1 is already in the library.").arg(variants_.labelOf(existing->id)));
            return false;
        }
    } catch (const storage::StorageError& e) {
        setMessage(e.message());
        return false;
    }
    if (!QDir().mkpath(modelsFolder_)) {
        setMessage(tr("Nibble cannot create its models folder %1.").arg(modelsFolder_));
        return false;
    }

    auto job = std::make_shared<BuildJob>();
    job->sourceId = source->id;
    job->modelId = source->modelId;
    job->recipeKey = recipeKey;
    job->precision = recipe->precision;
    job->quantizer = recipe->quantizer;
    job->calibrate = recipe->calibrate;
    job->compensate = recipe->compensate;
    if (recipe->calibrate) {
        try {
            job->calibrationText = calibrationTextFromChats(db_).text;
        } catch (const storage::StorageError&) {
            // The built-in text calibrates too, only less to this user's taste.
        }
    }
    job->sourcePath = source->filePath;
    job->outputPath = output;
    storage::Variant made = *source;
    made.precision = recipe->precision;
    try {
        job->label = variantLabel(storage::ModelStore(db_).get(source->modelId), made, &*source);
    } catch (const storage::StorageError& e) {
        setMessage(e.message());
        return false;
    }
    job_ = job;
    setMessage({});
    task_.start(job, EngineArbiter::modelBytes(job->sourcePath), [job] { build(*job); });
    emit stateChanged();
    emit progressChanged();
    return true;
}

void VariantBuilder::cancel() { task_.cancel(); }

void VariantBuilder::dismissMessage() { setMessage({}); }

void VariantBuilder::setMessage(const QString& text, const QStringList& warnings) {
    if (text == message_ && warnings == warnings_) return;
    message_ = text;
    warnings_ = warnings;
    emit messageChanged();
}

void VariantBuilder::onJobFinished() {
    const std::shared_ptr<BuildJob> job = std::move(job_);
    qint64 newId = 0;
    if (job->cancelled) {
        setMessage(tr("Cancelled making %1; no file was left behind.").arg(job->label));
    } else if (!job->error.isEmpty()) {
        setMessage(tr("%1 could not be made: %2").arg(job->label, job->error));
    } else {
        try {
            storage::Variant variant;
            variant.modelId = job->modelId;
            variant.precision = job->precision;
            variant.filePath = QFileInfo(job->outputPath).canonicalFilePath();
            variant.sizeBytes = QFileInfo(job->outputPath).size();
            variant.sha256 = job->sha256;
            variant.origin = storage::VariantOrigin::Derived;
            variant.derivedFromVariantId = job->sourceId;
            newId = storage::VariantStore(db_).add(variant).id;
            variants_.reload();
            setMessage(tr("Made %1: %2 in %3 s.")
                           .arg(variants_.labelOf(newId), fileSizeText(variant.sizeBytes))
                           .arg(job->seconds, 0, 'f', 1),
                       job->warnings);
        } catch (const storage::StorageError& e) {
            QFile::remove(job->outputPath);
            setMessage(tr("%1 could not be added to the library: %2").arg(job->label, e.message()));
        }
    }
    emit stateChanged();
    emit progressChanged();
    emit finished(job->sourceId, job->recipeKey, newId, job->cancelled);
}

}  // namespace nibble::app
