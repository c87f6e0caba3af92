import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// A short message at the bottom of a page, with an optional action.
Rectangle {
    id: bar
    property string text
    property string actionText
    property int timeout: 8000
    signal action()
    signal closed()

    function show() { visible = true; hideTimer.restart() }

    visible: false
    radius: 10
    color: Theme.dark ? "#3a3c42" : "#2b2d31"
    implicitHeight: 44
    implicitWidth: parent ? Math.min(parent.width - 24, 480) : 360

    Timer {
        id: hideTimer
        interval: bar.timeout
        onTriggered: { bar.visible = false; bar.closed() }
    }
    RowLayout {
        id: row
        anchors.fill: parent
        anchors.leftMargin: 16
        anchors.rightMargin: 8
        spacing: 12
        Label {
            Layout.fillWidth: true
            text: bar.text
            color: "#f1f2f4"
            elide: Text.ElideRight
        }
        ToolButton {
            id: actionButton
            visible: bar.actionText.length > 0
            contentItem: Label {
                text: bar.actionText
                color: "#9fb6ff"
                font.weight: Font.DemiBold
                horizontalAlignment: Text.AlignHCenter
                verticalAlignment: Text.AlignVCenter
            }
            background: Rectangle { radius: 6; color: actionButton.hovered ? "#44474f" : "transparent" }
            onClicked: { bar.visible = false; bar.action() }
        }
    }
}
