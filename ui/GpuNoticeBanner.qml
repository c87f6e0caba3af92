import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// A strip under the header telling, once, that Nibble runs on the CPU because
// no GPU is reachable through Vulkan; closed with its button.
Rectangle {
    objectName: "gpuNotice"
    visible: GpuNotice.text.length > 0
    implicitHeight: visible ? noticeRow.implicitHeight + 16 : 0
    color: Theme.selection

    RowLayout {
        id: noticeRow
        anchors.fill: parent
        anchors.leftMargin: 20
        anchors.rightMargin: 12
        spacing: 12
        Label {
            objectName: "gpuNoticeText"
            Layout.fillWidth: true
            text: GpuNotice.text
            color: Theme.text
            wrapMode: Text.Wrap
        }
        Button {
            objectName: "gpuNoticeDismiss"
            text: qsTr("Got it")
            onClicked: GpuNotice.dismiss()
        }
    }
    Rectangle {
        anchors.bottom: parent.bottom
        width: parent.width
        height: 1
        color: Theme.border
    }
}
