#include "shell/theme.h"

#include "shell/app_settings.h"

#include <QFontDatabase>
#include <QGuiApplication>
#include <QPalette>

namespace nibble::app {

Theme::Theme(AppSettings& settings, QObject* parent)
    : QObject(parent), settings_(settings),
      // Qt 6.4 has no colour-scheme hint; a dark window colour means a dark desktop.
      systemDark_(QGuiApplication::palette().color(QPalette::Window).lightness() < 128) {
    connect(&settings_, &AppSettings::changed, this, &Theme::update);
    update();
}

QString Theme::monoFont() const { return QFontDatabase::systemFont(QFontDatabase::FixedFont).family(); }

void Theme::update() {
    const QString chosen = settings_.theme();
    const bool dark = chosen == "dark" || (chosen != "light" && systemDark_);
    if (dark == dark_ && QGuiApplication::palette().color(QPalette::Window) == window()) return;
    dark_ = dark;
    applyPalette();
    emit changed();
}

void Theme::applyPalette() const {
    QPalette palette;
    palette.setColor(QPalette::Window, window());
    palette.setColor(QPalette::WindowText, text());
    palette.setColor(QPalette::Base, surface());
    palette.setColor(QPalette::AlternateBase, raised());
    palette.setColor(QPalette::Text, text());
    palette.setColor(QPalette::Button, raised());
    palette.setColor(QPalette::ButtonText, text());
    palette.setColor(QPalette::Highlight, accent());
    palette.setColor(QPalette::HighlightedText, accentText());
    palette.setColor(QPalette::PlaceholderText, mutedText());
    palette.setColor(QPalette::ToolTipBase, raised());
    palette.setColor(QPalette::ToolTipText, text());
    palette.setColor(QPalette::Mid, border());
    palette.setColor(QPalette::Midlight, border());
    // The Basic style fills highlighted buttons with Dark and writes on them in BrightText.
    palette.setColor(QPalette::Dark, accent());
    palette.setColor(QPalette::BrightText, accentText());
    // The Basic style fills a dropdown's highlighted item (and the file
    // dialog's) with Light and writes on it in HighlightedText: the accent
    // pair, as for selected text, so it reads in both themes.
    palette.setColor(QPalette::Light, accent());
    palette.setColor(QPalette::Shadow, pick("#c0c2c8", "#000000"));
    palette.setColor(QPalette::Link, accent());
    palette.setColor(QPalette::Disabled, QPalette::Text, mutedText());
    palette.setColor(QPalette::Disabled, QPalette::ButtonText, mutedText());
    palette.setColor(QPalette::Disabled, QPalette::WindowText, mutedText());
    QGuiApplication::setPalette(palette);
}

}  // namespace nibble::app
