import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// The strip above every page: what is open, and which model answers; on the
// chat page also the open conversation's settings.
Rectangle {
    id: header
    property string title
    property bool conversationTools: false
    implicitHeight: 56
    color: Theme.window

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: 20
        anchors.rightMargin: 16
        spacing: 12
        Label {
            Layout.fillWidth: true
            text: header.title
            color: Theme.text
            font.pixelSize: 16
            font.weight: Font.DemiBold
            elide: Text.ElideRight
        }
        IconButton {
            objectName: "conversationSettingsButton"
            visible: header.conversationTools
            iconName: "settings"
            tip: qsTr("Conversation settings")
            onClicked: conversationSettings.open()
        }
        Label {
            text: qsTr("Model")
            color: Theme.mutedText
        }
        ModelPicker {
            objectName: "variantPicker"
            Layout.preferredWidth: 320
        }
    }
    ConversationSettingsPanel { id: conversationSettings }
    Rectangle {
        anchors.bottom: parent.bottom
        width: parent.width
        height: 1
        color: Theme.border
    }
}
