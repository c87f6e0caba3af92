import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// A titled card of related settings.
Rectangle {
    id: section
    property string title
    default property alias content: rows.data
    Layout.fillWidth: true
    implicitHeight: rows.implicitHeight + heading.implicitHeight + 40
    radius: 12
    color: Theme.surface
    border.color: Theme.border

    Label {
        id: heading
        x: 18
        y: 14
        text: section.title
        color: Theme.text
        font.pixelSize: 15
        font.weight: Font.DemiBold
    }
    ColumnLayout {
        id: rows
        anchors.top: heading.bottom
        anchors.topMargin: 10
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.leftMargin: 18
        anchors.rightMargin: 18
        spacing: 12
    }
}
