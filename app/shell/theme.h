#pragma once
// The app's colours, light or dark as the settings say ("system" follows the
// desktop palette). Changing it also sets the application palette, so the
// stock controls match the custom surfaces.
#include <QColor>
#include <QObject>

namespace nibble::app {

class AppSettings;

class Theme : public QObject {
    Q_OBJECT
    Q_PROPERTY(bool dark READ dark NOTIFY changed)
    Q_PROPERTY(QColor window READ window NOTIFY changed)
    Q_PROPERTY(QColor sidebar READ sidebar NOTIFY changed)
    Q_PROPERTY(QColor surface READ surface NOTIFY changed)
    Q_PROPERTY(QColor raised READ raised NOTIFY changed)
    Q_PROPERTY(QColor border READ border NOTIFY changed)
    Q_PROPERTY(QColor text READ text NOTIFY changed)
    Q_PROPERTY(QColor mutedText READ mutedText NOTIFY changed)
    Q_PROPERTY(QColor accent READ accent NOTIFY changed)
    Q_PROPERTY(QColor accentText READ accentText NOTIFY changed)
    Q_PROPERTY(QColor selection READ selection NOTIFY changed)
    Q_PROPERTY(QColor userBubble READ userBubble NOTIFY changed)
    Q_PROPERTY(QColor codeBackground READ codeBackground NOTIFY changed)
    Q_PROPERTY(QColor danger READ danger NOTIFY changed)
    Q_PROPERTY(QString monoFont READ monoFont CONSTANT)

public:
    explicit Theme(AppSettings& settings, QObject* parent = nullptr);

    bool dark() const { return dark_; }
    QColor window() const { return pick("#f7f7f8", "#1b1c1f"); }
    QColor sidebar() const { return pick("#eeeff1", "#141517"); }
    QColor surface() const { return pick("#ffffff", "#232428"); }
    QColor raised() const { return pick("#f1f2f4", "#2c2e33"); }
    QColor border() const { return pick("#dcdee3", "#3a3c42"); }
    QColor text() const { return pick("#1d1e21", "#e8e9ec"); }
    QColor mutedText() const { return pick("#6b6f78", "#9a9ea8"); }
    QColor accent() const { return pick("#3b63d6", "#7a9cff"); }
    QColor accentText() const { return pick("#ffffff", "#10131c"); }
    QColor selection() const { return pick("#dfe6fb", "#2f3a5c"); }
    QColor userBubble() const { return pick("#e8edfb", "#2b3350"); }
    QColor codeBackground() const { return pick("#f3f4f6", "#16171a"); }
    QColor danger() const { return pick("#c73a3a", "#ff7b7b"); }
    QString monoFont() const;

signals:
    void changed();

private:
    QColor pick(const char* light, const char* darkColour) const { return QColor(dark_ ? darkColour : light); }
    void update();
    void applyPalette() const;

    AppSettings& settings_;
    bool systemDark_;
    bool dark_ = false;
};

}  // namespace nibble::app
