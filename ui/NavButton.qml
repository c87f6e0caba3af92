import QtQuick
import QtQuick.Controls
import Nibble.App

// One page in the navigation rail.
ToolButton {
    id: control
    property string iconName
    property bool current: false
    implicitWidth: 44
    implicitHeight: 44
    icon.source: "qrc:/nibble/icons/" + iconName + ".svg"
    icon.width: 22
    icon.height: 22
    icon.color: current ? Theme.accent : (hovered ? Theme.text : Theme.mutedText)
    display: AbstractButton.IconOnly
    hoverEnabled: true
    ToolTip.visible: hovered
    ToolTip.text: text
    ToolTip.delay: 400
    background: Rectangle {
        radius: 12
        color: control.current ? Theme.selection : (control.hovered ? Theme.raised : "transparent")
    }
}
