import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The strip above every page: what is open, and which model answers.
Rectangle {
    id: header
    property string title
    implicitHeight: 56
    color: theme.window

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: 20
        anchors.rightMargin: 16
        spacing: 12
        Label {
            Layout.fillWidth: true
            text: header.title
            color: theme.text
            font.pixelSize: 16
            font.weight: Font.DemiBold
            elide: Text.ElideRight
        }
        Label {
            text: qsTr("Model")
            color: theme.mutedText
        }
        ModelPicker {
            objectName: "variantPicker"
            Layout.preferredWidth: 320
        }
    }
    Rectangle {
        anchors.bottom: parent.bottom
        width: parent.width
        height: 1
        color: theme.border
    }
}
