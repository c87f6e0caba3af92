import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// A fenced code block: monospaced, framed, with its language and a copy button.
Rectangle {
    id: block
    property string code
    property string language
    implicitHeight: layout.implicitHeight
    radius: 10
    color: Theme.codeBackground
    border.color: Theme.border

    ColumnLayout {
        id: layout
        width: parent.width
        spacing: 0
        RowLayout {
            Layout.fillWidth: true
            Layout.leftMargin: 12
            Layout.rightMargin: 4
            Layout.topMargin: 2
            Label {
                Layout.fillWidth: true
                text: block.language.length > 0 ? block.language : qsTr("code")
                color: Theme.mutedText
                font.pixelSize: 11
            }
            IconButton {
                id: copyButton
                iconName: "copy"
                tip: copied.running ? qsTr("Copied") : qsTr("Copy code")
                implicitWidth: 26; implicitHeight: 26; padding: 4
                onClicked: { Chat.copyToClipboard(block.code); copied.restart() }
                Timer { id: copied; interval: 1500 }
            }
        }
        Rectangle { Layout.fillWidth: true; height: 1; color: Theme.border }
        TextEdit {
            Layout.fillWidth: true
            Layout.margins: 12
            text: block.code
            readOnly: true
            selectByMouse: true
            wrapMode: TextEdit.WrapAnywhere
            font.family: Theme.monoFont
            font.pixelSize: 13
            color: Theme.text
            selectionColor: Theme.accent
            selectedTextColor: Theme.accentText
        }
    }
}
