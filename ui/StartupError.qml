import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Shown instead of the main window when Nibble cannot open its data.
ApplicationWindow {
    id: window
    required property string message
    width: 520
    height: 240
    visible: true
    title: qsTr("Nibble cannot start")

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 24
        spacing: 16
        Label {
            text: qsTr("Nibble cannot start")
            font.pixelSize: 20
            font.weight: Font.DemiBold
        }
        Label {
            Layout.fillWidth: true
            Layout.fillHeight: true
            text: window.message
            wrapMode: Text.Wrap
        }
        Button {
            Layout.alignment: Qt.AlignRight
            text: qsTr("Quit")
            onClicked: Qt.quit()
        }
    }
}
