import QtQuick
import QtQuick.Controls
import Nibble.App

// A flat, round button with an icon from resources/icons and a tooltip.
ToolButton {
    id: control
    property string iconName
    property string tip
    property color tint: Theme.mutedText
    implicitWidth: 32
    implicitHeight: 32
    padding: 6
    icon.source: "qrc:/nibble/icons/" + iconName + ".svg"
    icon.width: 18
    icon.height: 18
    icon.color: control.hovered ? Theme.text : tint
    display: AbstractButton.IconOnly
    hoverEnabled: true
    ToolTip.visible: hovered && tip.length > 0
    ToolTip.text: tip
    ToolTip.delay: 500
    background: Rectangle {
        radius: 8
        color: control.down ? Theme.border : (control.hovered ? Theme.raised : "transparent")
    }
}
