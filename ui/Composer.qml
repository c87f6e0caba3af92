import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// Where the user writes. Enter sends, Shift+Enter starts a new line; while a
// reply streams the send button becomes Stop.
Rectangle {
    id: composer
    implicitHeight: Math.min(Math.max(input.implicitHeight, 40), 200) + 20
    radius: 16
    color: Theme.surface
    border.color: input.activeFocus ? Theme.accent : Theme.border
    border.width: 1

    function submit() {
        if (Chat.send(input.text)) input.clear()
    }

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: 14
        anchors.rightMargin: 10
        anchors.topMargin: 10
        anchors.bottomMargin: 10
        spacing: 8

        ScrollView {
            Layout.fillWidth: true
            Layout.fillHeight: true
            TextArea {
                id: input
                objectName: "messageInput"
                placeholderText: qsTr("Write a message…")
                wrapMode: TextEdit.Wrap
                color: Theme.text
                font.pixelSize: 14
                background: null
                focus: true
                Keys.onReturnPressed: (event) => {
                    if (event.modifiers & Qt.ShiftModifier) event.accepted = false
                    else composer.submit()
                }
                Keys.onEnterPressed: (event) => composer.submit()
            }
        }
        IconButton {
            objectName: "regenerateButton"
            Layout.alignment: Qt.AlignBottom
            iconName: "refresh"
            tip: qsTr("Regenerate the last reply")
            visible: !Chat.generating && Chat.messages.count > 0
            onClicked: Chat.regenerate()
        }
        RoundButton {
            id: sendButton
            objectName: Chat.generating ? "stopButton" : "sendButton"
            Layout.alignment: Qt.AlignBottom
            implicitWidth: 36
            implicitHeight: 36
            enabled: Chat.generating || (input.text.trim().length > 0 && Variants.count > 0)
            icon.source: Chat.generating ? "qrc:/nibble/icons/stop.svg" : "qrc:/nibble/icons/send.svg"
            icon.width: 18
            icon.height: 18
            icon.color: Theme.accentText
            display: AbstractButton.IconOnly
            ToolTip.visible: hovered
            ToolTip.text: Chat.generating ? qsTr("Stop") : qsTr("Send (Enter)")
            ToolTip.delay: 500
            background: Rectangle {
                radius: width / 2
                color: sendButton.enabled ? (sendButton.down ? Qt.darker(Theme.accent, 1.15) : Theme.accent) : Theme.border
            }
            onClicked: Chat.generating ? Chat.stop() : composer.submit()
        }
    }
}
