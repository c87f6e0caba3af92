import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// A setting's name and explanation on the left, its control on the right.
RowLayout {
    id: row
    property string label
    property string hint
    default property alias control: holder.data
    Layout.fillWidth: true
    spacing: 16
    ColumnLayout {
        Layout.fillWidth: true
        spacing: 2
        // Fills too, so a row without a hint still pushes its control to the right edge.
        Label { Layout.fillWidth: true; text: row.label; color: Theme.text }
        Label {
            Layout.fillWidth: true
            visible: row.hint.length > 0
            text: row.hint
            color: Theme.mutedText
            font.pixelSize: 12
            wrapMode: Text.Wrap
        }
    }
    Item {
        id: holder
        Layout.preferredWidth: 280
        Layout.preferredHeight: childrenRect.height
    }
}
