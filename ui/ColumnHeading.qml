import QtQuick
import QtQuick.Controls
import Nibble.App

// A table's column heading in plain words that explains itself on hover.
Label {
    id: heading
    property string tip
    color: Theme.mutedText
    font.pixelSize: 12
    HoverHandler { id: hover }
    ToolTip.visible: hover.hovered && tip.length > 0
    ToolTip.text: tip
    ToolTip.delay: 300
}
